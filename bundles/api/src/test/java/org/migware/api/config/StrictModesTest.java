package org.migware.api.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real files with real modes (unix:mode), as MigWare meets them in etc/ and deploy/. */
class StrictModesTest {

    @TempDir
    Path dir;

    private Path file(String name, int mode) throws Exception {
        Path file = dir.resolve(name);
        Files.writeString(file, "#!/bin/sh\nexit 0\n");
        Files.setAttribute(file, "unix:mode", mode);
        return file;
    }

    @Test
    void aProgramOnlyItsOwnerCanChangeMayRun() throws Exception {
        Files.setAttribute(dir, "unix:mode", 0755);
        Path fence = file("fence", 0755);
        assertEquals(List.of(), StrictModes.commandProblems(fence + " --off now"));
        assertEquals(List.of(), StrictModes.programProblems(fence.toString()));
        assertEquals(List.of(), StrictModes.commandProblems("sh -c true"), "a name found on the PATH");
        assertEquals(List.of(), StrictModes.commandProblems("  "), "no command, nothing to refuse");
    }

    @Test
    void aProgramItsGroupOrEveryUserCanWriteIsRefusedSayingWhatToDo() throws Exception {
        Files.setAttribute(dir, "unix:mode", 0755);
        Path group = file("group", 0775);
        String real = group.toRealPath().toString();
        assertEquals(List.of(real + " is writable by its group, not only its owner: MigWare runs it (chmod go-w " + real + ")"),
                StrictModes.commandProblems(group.toString()));
        Path everyone = file("everyone", 0777);
        String realEveryone = everyone.toRealPath().toString();
        assertEquals(List.of(realEveryone + " is writable by its group and every user, not only its owner: MigWare runs it (chmod go-w "
                + realEveryone + ")"), StrictModes.commandProblems(everyone + " x"));
    }

    @Test
    void itsFolderCountsUnlessTheStickyBitProtectsIt() throws Exception {
        Path fence = file("fence", 0755);
        Files.setAttribute(dir, "unix:mode", 0777);
        List<String> problems = StrictModes.commandProblems(fence.toString());
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("its folder " + dir.toRealPath() + " is writable by its group and every user"), problems.get(0));
        Files.setAttribute(dir, "unix:mode", 01777); // as /tmp: others cannot replace a file they do not own
        assertEquals(List.of(), StrictModes.commandProblems(fence.toString()));
    }

    @Test
    void aLinkIsJudgedByWhatItPointsTo() throws Exception {
        Files.setAttribute(dir, "unix:mode", 0755);
        Path target = file("target", 0777);
        Path link = Files.createSymbolicLink(dir.resolve("link"), target);
        String real = target.toRealPath().toString();
        assertEquals(List.of(real + " is writable by its group and every user, not only its owner: MigWare loads its code (chmod go-w "
                + real + ")"), StrictModes.fileProblems(link, "MigWare loads its code"));
    }

    @Test
    void aMissingOrNonExecutableProgramIsSaidSo() throws Exception {
        Files.setAttribute(dir, "unix:mode", 0755);
        assertEquals(List.of(dir.resolve("none") + " does not exist"), StrictModes.commandProblems(dir.resolve("none").toString()));
        Path plain = file("plain", 0644);
        assertEquals(List.of(plain + " is not executable (chmod +x)"), StrictModes.commandProblems(plain.toString()));
        assertTrue(StrictModes.programProblems("no-such-program-anywhere").get(0).startsWith("'no-such-program-anywhere' is not found on the PATH"));
    }

    @Test
    void shellSyntaxAndBuiltinsNameNoFileToJudge() throws Exception {
        Files.setAttribute(dir, "unix:mode", 0755);
        Path everyone = file("everyone", 0777);
        assertEquals(List.of(), StrictModes.commandProblems("cat; exit 0"), "'cat;' is cat, on the PATH, root's");
        assertEquals(List.of(), StrictModes.commandProblems("exec " + everyone), "a builtin first: not judged");
        assertEquals(List.of(), StrictModes.commandProblems("VAR=1 " + everyone));
        assertEquals(1, StrictModes.commandProblems(everyone + "; echo done").size(), "a path first is judged, with ';' after it");
    }
}
