package org.migware.sync.internal;

import java.util.Map;

/** One side of state sync as {@code migware:sync} shows it. */
public interface SyncEndpoint {

    /** @return "serving" or "backup" */
    String role();

    /** @return one line for a person */
    String describe();

    /** @return the same as a map (counters included), for JSON */
    Map<String, Object> toMap();
}
