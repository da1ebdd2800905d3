package org.migware.observability.internal.web;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.time.Instant;
import java.util.List;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.migware.api.connection.ConnectionFilter;
import org.migware.api.failover.ConnectionsQuery;
import org.migware.api.failover.FailoverEvent;
import org.migware.api.failover.FailoverHistory;
import org.migware.api.failover.ReplicaReadiness;
import org.migware.api.failover.StatusReport;
import org.migware.observability.internal.Observation;
import org.migware.observability.internal.StatusGatherer;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.osgi.service.component.annotations.ReferencePolicy;
import org.osgi.service.component.annotations.ReferencePolicyOption;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonPrimitive;
import com.google.gson.JsonSerializer;

/**
 * The web page's JSON, read only (any method but GET and HEAD answers 405):
 * <ul>
 * <li>{@code GET /api/status}: {@code {"status": StatusReport, "history": [FailoverEvent...],
 * "historyCapacity": N, "replica": ReplicaReadiness}}, the records {@code migware:status --json}
 * writes, and the last state changes, oldest first;</li>
 * <li>{@code GET /api/connections?filter=ip[:port]&offset=N&limit=N}: one page of the connections
 * and of the carried ones, a {@code ConnectionsReport} as {@code migware:connections --json}
 * writes it, with the totals before the limit. The limit defaults to {@value #DEFAULT_LIMIT} and
 * is at most {@value #MAX_LIMIT}; a wrong filter, offset or limit answers 400 with the reason.</li>
 * </ul>
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({WebApiServlet.STATUS, WebApiServlet.CONNECTIONS})
@HttpWhiteboardServletName("migware-web-api")
public final class WebApiServlet extends HttpServlet {

    /** The status and the timeline. */
    public static final String STATUS = "/api/status";
    /** A page of the connections. */
    public static final String CONNECTIONS = "/api/connections";
    /** The page size when none is asked for. */
    public static final int DEFAULT_LIMIT = 50;
    /** The largest page: a bigger one is refused, so that no request formats the whole table. */
    public static final int MAX_LIMIT = 5000;
    private static final long serialVersionUID = 1L;

    private final transient StatusGatherer status;
    private final transient Gson gson = new GsonBuilder()
            .registerTypeAdapter(Instant.class, (JsonSerializer<Instant>) (value, type, context) -> new JsonPrimitive(value.toString()))
            .registerTypeHierarchyAdapter(InetAddress.class,
                    (JsonSerializer<InetAddress>) (value, type, context) -> new JsonPrimitive(value.getHostAddress()))
            .serializeNulls()
            .create();

    @Reference(cardinality = ReferenceCardinality.OPTIONAL, policy = ReferencePolicy.DYNAMIC, policyOption = ReferencePolicyOption.GREEDY)
    private transient volatile FailoverHistory history;

    @Activate
    public WebApiServlet(@Reference StatusGatherer status) {
        this.status = status;
    }

    /**
     * What {@code /api/status} answers.
     *
     * @param status the status, as {@code migware:status --json} writes it
     * @param history the last state changes, oldest first
     * @param historyCapacity how many changes the core keeps
     * @param replica whether the replica side of a failover is ready; {@code null} when not told
     */
    public record PageStatus(StatusReport status, List<FailoverEvent> history, int historyCapacity, ReplicaReadiness replica) {
    }

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        Object answer;
        if (STATUS.equals(request.getServletPath())) {
            Observation now = status.observe();
            FailoverHistory currentHistory = history;
            answer = new PageStatus(now.report(), currentHistory == null ? List.of() : currentHistory.recent(),
                    currentHistory == null ? 0 : currentHistory.capacity(), now.replica());
        } else {
            ConnectionsQuery query;
            try {
                query = query(request);
            } catch (IllegalArgumentException e) {
                response.setStatus(HttpServletResponse.SC_BAD_REQUEST);
                response.setContentType("text/plain;charset=utf-8");
                response.getWriter().print(e.getMessage().replace('\n', ' ') + "\n");
                return;
            }
            answer = status.connections(query);
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType("application/json;charset=utf-8");
        response.setHeader("Cache-Control", "no-store");
        response.setHeader("X-Content-Type-Options", "nosniff");
        PrintWriter out = response.getWriter();
        gson.toJson(answer, out);
        out.print('\n');
    }

    /** The query of {@code filter}, {@code offset} and {@code limit}; a wrong one throws with the reason. */
    static ConnectionsQuery query(HttpServletRequest request) {
        ConnectionFilter filter = ConnectionFilter.parse(request.getParameter("filter"));
        int offset = number(request, "offset", 0, Integer.MAX_VALUE);
        int limit = number(request, "limit", DEFAULT_LIMIT, MAX_LIMIT);
        return new ConnectionsQuery(filter, offset, limit);
    }

    private static int number(HttpServletRequest request, String name, int absent, int max) {
        String text = request.getParameter(name);
        if (text == null || text.isBlank()) {
            return absent;
        }
        String value = text.trim();
        if (value.length() > 10 || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new IllegalArgumentException(name + " '" + value + "' is not a number from 0 to " + max);
        }
        long number = Long.parseLong(value);
        if (number > max) {
            throw new IllegalArgumentException(name + " " + number + " is above " + max);
        }
        return (int) number;
    }
}
