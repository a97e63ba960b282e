/**
 * The store's IO layer: every byte the segment layer reads or writes goes through
 * {@link io.spillway.segments.io.FileIO}.
 *
 * <ul>
 *   <li>{@link io.spillway.segments.io.PosixFileIO}: Linux syscalls through FFM, O_DIRECT when
 *       asked, errno in {@link io.spillway.segments.io.NativeIOException}.</li>
 *   <li>{@link io.spillway.segments.io.ChannelFileIO}: portable buffered fallback.</li>
 *   <li>{@link io.spillway.segments.io.DirectIoProbe}: picks one of them per directory.</li>
 *   <li>{@link io.spillway.segments.io.StoreLock}: one writer per store directory.</li>
 * </ul>
 */
package io.spillway.segments.io;
