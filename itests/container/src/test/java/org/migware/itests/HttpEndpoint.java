package org.migware.itests;

import static org.junit.Assert.fail;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.osgi.framework.BundleContext;
import org.osgi.framework.Filter;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;
import org.osgi.util.tracker.ServiceTracker;

/**
 * The container's HTTP endpoint as a client sees it: the address Felix HTTP Jetty announces
 * ({@code osgi.http.endpoint} of its HttpServiceRuntime), and GETs against it.
 */
final class HttpEndpoint {

    private static final String RUNTIME = "org.osgi.service.http.runtime.HttpServiceRuntime";

    private final URI base;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private HttpEndpoint(URI base) {
        this.base = base;
    }

    /** @return the endpoint of the HTTP runtime, waited for up to {@code timeout} */
    static HttpEndpoint of(BundleContext context, Duration timeout) {
        Filter filter;
        try {
            filter = context.createFilter("(objectClass=" + RUNTIME + ")");
        } catch (InvalidSyntaxException e) {
            throw new IllegalStateException(e);
        }
        ServiceTracker<Object, Object> tracker = new ServiceTracker<>(context, filter, null);
        tracker.open(true);
        try {
            if (tracker.waitForService(timeout.toMillis()) == null) {
                fail("no " + RUNTIME + " within " + timeout.toSeconds() + " s: is Felix HTTP Jetty in the distribution?");
            }
            ServiceReference<Object> runtime = tracker.getServiceReference();
            Object endpoint = runtime.getProperty("osgi.http.endpoint");
            String first = endpoint instanceof String[] all ? all[0] : String.valueOf(endpoint);
            return new HttpEndpoint(URI.create(first.endsWith("/") ? first : first + "/"));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            tracker.close();
        }
    }

    /** @return where the runtime listens, e.g. {@code http://127.0.0.1:39411/} */
    URI base() {
        return base;
    }

    /** @return the answer to {@code GET path} */
    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path.startsWith("/") ? path.substring(1) : path)).GET().build());
    }

    /** @return the answer to {@code POST path} with an empty body */
    HttpResponse<String> post(String path) {
        return send(HttpRequest.newBuilder(base.resolve(path.substring(1))).POST(HttpRequest.BodyPublishers.noBody()).build());
    }

    /**
     * Waits until {@code GET path} is served (not 404: the whiteboard registers servlets as their
     * services come) and returns the first answer that is.
     */
    HttpResponse<String> awaitServed(String path, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        HttpResponse<String> response = get(path);
        while (response.statusCode() == 404 && Instant.now().isBefore(deadline)) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(100));
            response = get(path);
        }
        if (response.statusCode() == 404) {
            fail(base + path + " still answers 404 after " + timeout.toSeconds() + " s");
        }
        return response;
    }

    private HttpResponse<String> send(HttpRequest request) {
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("cannot reach " + request.uri() + ": " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
