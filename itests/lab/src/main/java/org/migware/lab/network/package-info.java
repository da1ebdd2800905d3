/**
 * The lab's network: namespaces on a flooding bridge (LabNetwork, Role), processes in them, and
 * the wire-impairment box (WireBox over packet sockets) that delays and reorders a link's frames.
 */
package org.migware.lab.network;
