package org.migware.logging.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import org.junit.jupiter.api.Test;

class LogLevelsFileTest {

    /** The shipped file's shape: comments, an appender, the root, two named loggers. */
    private static final List<String> SHIPPED = List.of(
            "# the container's log",
            "name = migware",
            "appender.file.type = RollingFile",
            "appender.file.fileName = ${sys:migware.log.dir}/migware.log",
            "",
            "rootLogger.level = INFO",
            "rootLogger.appenderRef.file.ref = file",
            "# pcap4j reports every device it opens at INFO.",
            "logger.pcap4j.name = org.pcap4j",
            "logger.pcap4j.level = WARN",
            "logger.events.name = Events",
            "logger.events.level=WARN");

    private static LogLevelsFile shipped() {
        return LogLevelsFile.of(SHIPPED);
    }

    /** What java.util.Properties (log4j2's reader of this format) makes of the lines. */
    private static Properties asLog4j2ReadsIt(LogLevelsFile file) throws IOException {
        Properties properties = new Properties();
        properties.load(new StringReader(String.join("\n", file.lines())));
        return properties;
    }

    @Test
    void readsTheRootAndEachNamedLogger() {
        assertEquals(Map.of("ROOT", "INFO", "org.pcap4j", "WARN", "Events", "WARN"), shipped().levels());
        assertTrue(LogLevelsFile.of(List.of()).levels().isEmpty());
    }

    @Test
    void setsTheRootInItsLineAndLeavesEveryOtherLine() throws IOException {
        LogLevelsFile changed = shipped().with("debug", "root");
        List<String> expected = new ArrayList<>(SHIPPED);
        expected.set(5, "rootLogger.level = DEBUG");
        assertEquals(expected, changed.lines(), "only the root's line changed; comments and order kept");
        assertEquals("DEBUG", asLog4j2ReadsIt(changed).getProperty("rootLogger.level"));
    }

    @Test
    void changesAnExistingLoggerInPlace() throws IOException {
        LogLevelsFile changed = shipped().with("INFO", "Events");
        assertEquals("INFO", asLog4j2ReadsIt(changed).getProperty("logger.events.level"));
        assertEquals(SHIPPED.size(), changed.lines().size(), "no second entry for the same logger");
    }

    @Test
    void addsANewLoggerWithAnIdOfItsOwn() throws IOException {
        List<String> start = new ArrayList<>(SHIPPED);
        start.add("logger.org_migware_tracker.name = something.else");
        LogLevelsFile changed = LogLevelsFile.of(start).with("TRACE", "org.migware.tracker");
        Properties read = asLog4j2ReadsIt(changed);
        assertEquals("something.else", read.getProperty("logger.org_migware_tracker.name"), "an id in use is not taken over");
        assertEquals("org.migware.tracker", read.getProperty("logger.org_migware_tracker_2.name"));
        assertEquals("TRACE", read.getProperty("logger.org_migware_tracker_2.level"));
        assertEquals("TRACE", changed.levels().get("org.migware.tracker"));
    }

    @Test
    void aLevelIsAddedUnderALoggerThatHadNone() throws IOException {
        List<String> start = new ArrayList<>(SHIPPED);
        start.add(8, "logger.jetty.name = org.eclipse.jetty");
        LogLevelsFile before = LogLevelsFile.of(start);
        assertEquals("(inherited)", before.levels().get("org.eclipse.jetty"));
        LogLevelsFile changed = before.with("WARN", "org.eclipse.jetty");
        assertEquals("logger.jetty.level = WARN", changed.lines().get(9), "right under its name");
        assertEquals("WARN", asLog4j2ReadsIt(changed).getProperty("logger.jetty.level"));
    }

    @Test
    void defaultRemovesALoggersOwnLevelAndItsNameWhenNothingElseIsLeft() throws IOException {
        LogLevelsFile changed = shipped().with("default", "org.pcap4j");
        Properties read = asLog4j2ReadsIt(changed);
        assertFalse(read.containsKey("logger.pcap4j.name"));
        assertFalse(read.containsKey("logger.pcap4j.level"));
        assertFalse(changed.levels().containsKey("org.pcap4j"));
        assertEquals(SHIPPED.size() - 2, changed.lines().size());

        List<String> withAppender = new ArrayList<>(SHIPPED);
        withAppender.add("logger.pcap4j.additivity = false");
        Properties kept = asLog4j2ReadsIt(LogLevelsFile.of(withAppender).with("DEFAULT", "org.pcap4j"));
        assertEquals("org.pcap4j", kept.getProperty("logger.pcap4j.name"), "an entry with more than a level keeps its name");
        assertFalse(kept.containsKey("logger.pcap4j.level"));
    }

    @Test
    void theEffectiveLevelIsTheNearestConfiguredAncestorsOrTheRoots() {
        LogLevelsFile file = shipped().with("DEBUG", "org.migware");
        assertEquals("DEBUG", file.effectiveLevel("org.migware.tracker.internal.Tracker"));
        assertEquals("DEBUG", file.effectiveLevel("org.migware"));
        assertEquals("WARN", file.effectiveLevel("Events.Bundle"));
        assertEquals("INFO", file.effectiveLevel("org.migwarex"), "a name is not an ancestor by its prefix alone");
        assertEquals("INFO", file.effectiveLevel(LogLevelCommands.ROOT_PROBE));
        assertEquals("ERROR", LogLevelsFile.of(List.of()).effectiveLevel("a.b"), "log4j2's root level when none is set");
    }

    @Test
    void refusesAnUnknownLevelAndAnInheritingRoot() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class, () -> shipped().with("LOUD", "ROOT"));
        assertTrue(unknown.getMessage().contains("unknown level 'LOUD'"), unknown.getMessage());
        assertThrows(IllegalArgumentException.class, () -> shipped().with("DEFAULT", "ROOT"));
    }

    @Test
    void anEmptyFileGetsOnlyTheLevel() {
        assertEquals(List.of("rootLogger.level = WARN"), LogLevelsFile.of(List.of()).with("warn", "ROOT").lines());
    }
}
