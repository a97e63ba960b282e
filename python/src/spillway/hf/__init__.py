"""Hugging Face transformers integration: a prefix cache that loads stored KV blocks into the model's cache.

Needs torch (and transformers for :class:`~spillway.hf.prefix_cache.PrefixCache`); the client core does not.
"""
