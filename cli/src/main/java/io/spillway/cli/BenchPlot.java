package io.spillway.cli;

import io.spillway.cli.bench.BenchReport;
import io.spillway.cli.bench.BenchReport.Phase;
import io.spillway.cli.bench.BenchReport.SizeResult;
import io.spillway.cli.bench.BenchReport.TargetResult;
import io.spillway.cli.bench.FioResult;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.imageio.ImageIO;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.Styler;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The {@code bench --plot} PNG: throughput (GB/s) against block size (log scale), one panel per
 * workload (dump, load, mixed), one line per target, and fio's O_DIRECT figure as a dashed
 * "disk limit" line in the dump and load panels.
 */
final class BenchPlot {

    private static final int PANEL_WIDTH = 560;
    private static final int HEIGHT = 520;

    private BenchPlot() {
    }

    static void write(BenchReport report, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<XYChart> panels = new ArrayList<>();
        panels.add(panel(report, "dump (sequential appends)", TargetResult::dump, "fio write", f -> f.writeGbps()));
        panels.add(panel(report, "load (random order, verified)", TargetResult::load, "fio randread", f -> f.randreadGbps()));
        if (report.sizes().stream().anyMatch(s -> s.targets().values().stream().anyMatch(t -> t.mixed() != null))) {
            panels.add(panel(report, "mixed (70% load / 30% dump, Zipf)", TargetResult::mixed, null, null));
        }
        BufferedImage image = new BufferedImage(PANEL_WIDTH * panels.size(), HEIGHT, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, image.getWidth(), image.getHeight());
            for (int i = 0; i < panels.size(); i++) {
                Graphics2D p = (Graphics2D) g.create(i * PANEL_WIDTH, 0, PANEL_WIDTH, HEIGHT);
                try {
                    panels.get(i).paint(p, PANEL_WIDTH, HEIGHT);
                } finally {
                    p.dispose();
                }
            }
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(image, "png", png.toFile())) {
            throw new IOException("no PNG writer in this JVM");
        }
    }

    private static XYChart panel(BenchReport report, String title, Function<TargetResult, Phase> phase, String fioName,
                                 Function<FioResult, Double> fioRate) {
        XYChart chart = new XYChartBuilder().width(PANEL_WIDTH).height(HEIGHT).title(title)
                .xAxisTitle("block size (KiB, log)").yAxisTitle("GB/s").build();
        Styler s = chart.getStyler();
        chart.getStyler().setXAxisLogarithmic(true);
        s.setLegendPosition(Styler.LegendPosition.OutsideS);
        s.setChartBackgroundColor(Color.WHITE);
        s.setPlotBackgroundColor(Color.WHITE);
        s.setLegendFont(s.getLegendFont().deriveFont(10f));
        chart.getStyler().setYAxisMin(0.0);
        Map<String, List<double[]>> series = new LinkedHashMap<>();
        for (SizeResult size : report.sizes()) {
            double kib = size.blockSize() / 1024.0;
            size.targets().values().forEach(t -> {
                Phase p = phase.apply(t);
                if (p != null) {
                    series.computeIfAbsent(t.label(), k -> new ArrayList<>()).add(new double[] {kib, p.gbps()});
                }
            });
            if (fioName != null && size.fio() != null && fioRate.apply(size.fio()) != null) {
                series.computeIfAbsent(fioName + " (disk limit)", k -> new ArrayList<>()).add(new double[] {kib, fioRate.apply(size.fio())});
            }
        }
        series.forEach((name, points) -> {
            double[] x = points.stream().mapToDouble(pt -> pt[0]).toArray();
            double[] y = points.stream().mapToDouble(pt -> pt[1]).toArray();
            XYSeries xy = chart.addSeries(name, x, y);
            xy.setMarker(SeriesMarkers.CIRCLE);
            if (name.startsWith("fio")) {
                xy.setLineStyle(SeriesLines.DASH_DASH);
                xy.setLineColor(Color.GRAY);
                xy.setMarkerColor(Color.GRAY);
            }
        });
        if (series.isEmpty()) {
            chart.addSeries("(not measured)", new double[] {1}, new double[] {0});
        }
        return chart;
    }
}
