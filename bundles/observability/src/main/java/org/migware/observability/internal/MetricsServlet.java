package org.migware.observability.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;

/**
 * {@code GET /metrics}: the status as Prometheus metrics, in the Prometheus text format, or in
 * OpenMetrics when the scraper asks for it ({@code Accept: application/openmetrics-text}). Every
 * scrape reads the status services afresh. Read only: any other method is refused.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(MetricsServlet.PATH)
@HttpWhiteboardServletName("migware-metrics")
public final class MetricsServlet extends HttpServlet {

    /** Where it answers. */
    public static final String PATH = "/metrics";
    private static final long serialVersionUID = 1L;

    private final transient StatusGatherer status;
    private final transient ExpositionFormatWriter prometheus = PrometheusTextFormatWriter.create();
    private final transient ExpositionFormatWriter openMetrics = OpenMetricsTextFormatWriter.create();

    private final transient ProbeTimings probes;

    @Activate
    public MetricsServlet(@Reference StatusGatherer status, @Reference ProbeTimings probes) {
        this.status = status;
        this.probes = probes;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String accept = request.getHeader("Accept");
        ExpositionFormatWriter writer = openMetrics.accepts(accept) ? openMetrics : prometheus;
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(writer.getContentType());
        response.setHeader("Cache-Control", "no-store");
        try (OutputStream out = response.getOutputStream()) {
            // MigWare's names are plain Prometheus names: no escaping scheme changes them.
            List<MetricSnapshot> all = new ArrayList<>();
            StatusMetrics.of(status.observe()).forEach(all::add);
            all.addAll(probes.snapshots());
            writer.write(out, new MetricSnapshots(all), EscapingScheme.UNDERSCORE_ESCAPING);
        }
    }
}
