package org.migware.observability.internal.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

import javax.servlet.Servlet;
import javax.servlet.http.HttpServlet;
import javax.servlet.http.HttpServletRequest;
import javax.servlet.http.HttpServletResponse;

import org.osgi.service.component.annotations.Component;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletName;
import org.osgi.service.http.whiteboard.propertytypes.HttpWhiteboardServletPattern;

/**
 * The web page {@code /migware/}: one HTML file, its script and its style sheet, carried in the
 * bundle (nothing from the internet; the page reads {@code /api/status} and
 * {@code /api/connections} every second). {@code /migware} moves to {@code /migware/}. Read only.
 */
@Component(service = Servlet.class)
@HttpWhiteboardServletPattern({WebPageServlet.PATH + "*", "/migware"})
@HttpWhiteboardServletName("migware-web-page")
public final class WebPageServlet extends HttpServlet {

    /** Where the page is. */
    public static final String PATH = "/migware/";
    private static final long serialVersionUID = 1L;

    /** The files, by the name in the address, with their types. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html;charset=utf-8",
            "migware.js", "text/javascript;charset=utf-8",
            "migware.css", "text/css;charset=utf-8");

    @Override
    protected void doGet(HttpServletRequest request, HttpServletResponse response) throws IOException {
        String path = request.getRequestURI().substring(request.getContextPath().length());
        if (path.equals("/migware")) {
            response.sendRedirect(request.getContextPath() + PATH);
            return;
        }
        String name = path.length() <= PATH.length() ? "index.html" : path.substring(PATH.length());
        String type = FILES.get(name);
        if (type == null) {
            response.sendError(HttpServletResponse.SC_NOT_FOUND);
            return;
        }
        response.setStatus(HttpServletResponse.SC_OK);
        response.setContentType(type);
        response.setHeader("Cache-Control", "no-cache");
        response.setHeader("X-Content-Type-Options", "nosniff");
        // everything from this server, no inline script, no frame around it
        response.setHeader("Content-Security-Policy",
                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
        try (InputStream in = WebPageServlet.class.getResourceAsStream("/web/" + name); OutputStream out = response.getOutputStream()) {
            if (in == null) {
                throw new IOException("the bundle lacks web/" + name);
            }
            in.transferTo(out);
        }
    }
}
