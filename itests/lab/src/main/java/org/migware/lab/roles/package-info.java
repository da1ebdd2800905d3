/**
 * The VRRP roles on the lab: keepalived in a role's namespace, configured by the distribution's
 * own {@code bin/migware keepalived-config}.
 */
package org.migware.lab.roles;
