package io.spillway.recovery;

import io.spillway.segments.BlockLocation;
import io.spillway.segments.GroupHeader;
import io.spillway.segments.RecordFlags;
import io.spillway.segments.RecordHeader;
import io.spillway.segments.SegmentFooter;
import io.spillway.segments.SegmentLayout;
import io.spillway.segments.SegmentScanner;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * A sealed segment's group header blocks against its footer: where a scan of the headers stops
 * short of the footer's data end, and the header block the footer implies there. The footer
 * lists every field of every record header (flags without {@link RecordFlags#NOT_LIVE}), and a
 * group's records are the entries whose payloads follow its header block back to back, so a
 * damaged header block is rebuilt exactly as it was written.
 */
final class GroupHeaderRepair {

    private GroupHeaderRepair() {
    }

    /** Why a header scan up to the footer's data end disagrees with the footer; null if it agrees. */
    static String disagreement(SegmentScanner.Result scan, SegmentFooter footer) {
        if (scan.stop() != SegmentScanner.Stop.CORRUPT && scan.validEnd() == footer.dataEnd()
                && scan.records().size() == footer.entries().size()) {
            return null;
        }
        return scan.problem() != null ? scan.problem().getMessage()
                : "headers end at " + scan.validEnd() + " but the footer's data ends at " + footer.dataEnd();
    }

    /**
     * The header block of the group at {@code groupOffset} as the footer describes it, or null
     * when the footer does not describe a group there.
     */
    static byte[] fromFooter(long segmentId, long groupOffset, SegmentFooter footer, int alignment) {
        List<SegmentFooter.Entry> group = new ArrayList<>();
        long end = -1;
        for (SegmentFooter.Entry e : footer.entries()) {
            BlockLocation l = e.location();
            if (l.payloadOffset() < groupOffset) {
                continue;
            }
            if (end >= 0 && l.payloadOffset() != end) {
                break;
            }
            group.add(e);
            end = l.payloadOffset() + SegmentLayout.alignUp(l.storedLength(), alignment);
        }
        if (group.isEmpty() || group.size() > GroupHeader.MAX_RECORDS) {
            return null;
        }
        int headerBlock = GroupHeader.headerBlockLength(group.size(), alignment);
        if (group.getFirst().location().payloadOffset() != groupOffset + headerBlock) {
            return null;
        }
        ByteBuffer block = ByteBuffer.allocate(headerBlock).order(ByteOrder.LITTLE_ENDIAN);
        new GroupHeader(group.size(), segmentId, groupOffset, end - groupOffset, headerBlock).encode(block);
        for (SegmentFooter.Entry e : group) {
            BlockLocation l = e.location();
            RecordHeader.of(e.key(), l.withFlags(l.flags() & ~RecordFlags.NOT_LIVE)).encode(block);
        }
        return block.array();
    }
}
