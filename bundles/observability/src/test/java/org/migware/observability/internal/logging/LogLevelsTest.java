package org.migware.observability.internal.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Hashtable;
import java.util.Map;

import org.junit.jupiter.api.Test;

class LogLevelsTest {

    /** The shipped file's shape: an appender, the root, two named loggers. */
    private static Hashtable<String, Object> shipped() {
        Hashtable<String, Object> p = new Hashtable<>();
        p.put("log4j2.appender.file.type", "RollingFile");
        p.put("log4j2.appender.file.fileName", "/var/log/migware/migware.log");
        p.put("log4j2.rootLogger.level", "INFO");
        p.put("log4j2.rootLogger.appenderRef.file.ref", "file");
        p.put("log4j2.logger.pcap4j.name", "org.pcap4j");
        p.put("log4j2.logger.pcap4j.level", "WARN");
        p.put("log4j2.logger.events.name", "Events");
        p.put("log4j2.logger.events.level", "WARN");
        return p;
    }

    @Test
    void readsTheRootAndEachNamedLogger() {
        assertEquals(Map.of("ROOT", "INFO", "org.pcap4j", "WARN", "Events", "WARN"), LogLevels.levels(shipped()));
        assertTrue(LogLevels.levels(null).isEmpty());
    }

    @Test
    void setsTheRootAndLeavesEverythingElse() {
        Hashtable<String, Object> changed = LogLevels.with(shipped(), "debug", "root");
        assertEquals("DEBUG", changed.get("log4j2.rootLogger.level"));
        Hashtable<String, Object> expected = shipped();
        expected.put("log4j2.rootLogger.level", "DEBUG");
        assertEquals(expected, changed, "only the root level changed");
    }

    @Test
    void changesAnExistingLoggerInPlace() {
        Hashtable<String, Object> changed = LogLevels.with(shipped(), "INFO", "Events");
        assertEquals("INFO", changed.get("log4j2.logger.events.level"));
        assertEquals(shipped().size(), changed.size(), "no second entry for the same logger");
    }

    @Test
    void addsANewLoggerWithAnIdOfItsOwn() {
        Hashtable<String, Object> start = shipped();
        start.put("log4j2.logger.org_migware_tracker.name", "something.else");
        Hashtable<String, Object> changed = LogLevels.with(start, "TRACE", "org.migware.tracker");
        assertEquals("something.else", changed.get("log4j2.logger.org_migware_tracker.name"), "an id in use is not taken over");
        assertEquals("org.migware.tracker", changed.get("log4j2.logger.org_migware_tracker_2.name"));
        assertEquals("TRACE", changed.get("log4j2.logger.org_migware_tracker_2.level"));
        assertEquals("TRACE", LogLevels.levels(changed).get("org.migware.tracker"));
    }

    @Test
    void defaultRemovesALoggersOwnLevel() {
        Hashtable<String, Object> changed = LogLevels.with(shipped(), "default", "org.pcap4j");
        assertNull(changed.get("log4j2.logger.pcap4j.name"));
        assertNull(changed.get("log4j2.logger.pcap4j.level"));
        assertFalse(LogLevels.levels(changed).containsKey("org.pcap4j"));
        assertEquals(shipped().size() - 2, changed.size());
    }

    @Test
    void refusesAnUnknownLevelAndAnInheritingRoot() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> LogLevels.with(shipped(), "LOUD", "ROOT"));
        assertTrue(unknown.getMessage().contains("unknown level 'LOUD'"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LogLevels.with(shipped(), "DEFAULT", "ROOT"));
    }

    @Test
    void theGivenPropertiesAreNeverChanged() {
        Hashtable<String, Object> input = shipped();
        LogLevels.with(input, "DEBUG", "org.migware");
        LogLevels.with(input, "DEFAULT", "Events");
        assertEquals(shipped(), input);
    }

    @Test
    void aMissingConfigurationGetsOnlyTheLevel() {
        assertEquals(Map.of("log4j2.rootLogger.level", "WARN"), LogLevels.with(null, "warn", "ROOT"));
    }
}
