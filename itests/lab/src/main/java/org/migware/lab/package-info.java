/**
 * What the lab's tools share: command lines (Args, ToolMain), external commands and JVMs
 * (Commands, JavaCommand), report tables, waiting. Depends on no other lab package.
 */
package org.migware.lab;
