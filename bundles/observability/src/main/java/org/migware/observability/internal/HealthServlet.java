package org.migware.observability.internal;

import java.io.IOException;
import java.io.PrintWriter;
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

/**
 * {@code GET /health}: 200 and {@code armed} when a failover now would work, 503 and one reason
 * per line when not (the HAProxy {@code monitor-uri} habit: a load balancer or a person reads the
 * status, a person reads the lines). Read only: any other method is refused.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern(HealthServlet.PATH)
@HttpWhiteboardServletName("migware-health")
public final class HealthServlet extends HttpServlet {

    /** Where it answers. */
    public static final String PATH = "/health";
    private static final long serialVersionUID = 1L;

    private final transient ArmedState armed;

    @Activate
    public HealthServlet(@Reference ArmedState armed) {
        this.armed = armed;
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        List<String> reasons = armed.reasons();
        response.setStatus(reasons.isEmpty() ? HttpServletResponse.SC_OK : HttpServletResponse.SC_SERVICE_UNAVAILABLE);
        response.setContentType("text/plain;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        PrintWriter out = response.getWriter();
        if (reasons.isEmpty()) {
            out.print("armed\n");
        }
        for (String reason : reasons) {
            out.print(reason.replace('\n', ' '));
            out.print('\n');
        }
    }
}
