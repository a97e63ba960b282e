package io.spillway.gpu;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs this module's JUnit tests without Maven, for the GPU machine (gpu/device-test.sh), where
 * the GPU tests that CI skips actually run. Exits 1 on any failure.
 */
public final class GpuTestMain {

    private GpuTestMain() {
    }

    public static void main(String[] args) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                // Named, not scanned: the jlink runtime on the GPU machine has no zip file system.
                .selectors(selectClass(GpuDataPathTest.class), selectClass(CudaProbeTest.class),
                        selectClass(GpuConfigTest.class), selectClass(KvLayoutTest.class), selectClass(PiecesTest.class))
                .build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        TestExecutionSummary s = listener.getSummary();
        PrintWriter out = new PrintWriter(System.out, true);
        s.printFailuresTo(out, 30);
        // An unmet assumption (no GPU) is "aborted" on the platform; Maven reports it as skipped.
        out.printf("JUnit on this machine: %d found, %d succeeded, %d failed, %d skipped (assumption not met)%n",
                s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTestsFailedCount(),
                s.getTestsSkippedCount() + s.getTestsAbortedCount());
        System.exit(s.getTotalFailureCount() == 0 && s.getTestsFoundCount() > 0 ? 0 : 1);
    }
}
