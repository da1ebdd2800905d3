package org.migware.proxy.internal.direct;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The nftables set of carried tuples, and the rule that keeps their segments from this host's
 * stack once it owns the service address:
 *
 * <pre>
 * table ip migware {
 *     set carried { type ipv4_addr . inet_service . ipv4_addr . inet_service; }
 *     chain carried {
 *         type filter hook prerouting priority raw; policy accept;
 *         ip protocol tcp ip saddr . tcp sport . ip daddr . tcp dport &#64;carried counter drop
 *     }
 * }
 * </pre>
 *
 * <p>Why a drop diverts them into MigWare's path: MigWare reads the clients' segments from its
 * packet socket (libpcap), which the kernel serves before IP input and before netfilter; the drop
 * at {@code prerouting} (priority raw, before conntrack) only keeps them from the local TCP stack,
 * which has no socket for them and would answer with a reset. New connections match nothing and
 * go to the kernel's listener.
 *
 * <p>The set mirrors what MigWare carries. The first write after a start replaces the whole set
 * in one transaction (flush and add in one {@code nft -f}), so a carried connection is never left
 * out for a moment; later writes add and delete what changed. After a failed write the next one
 * replaces the whole set again. The table is never removed at stop: a restarted MigWare finds its
 * connections still protected and takes the set over.
 */
public final class CarriedSet {

    /** Table names nft accepts without quoting. */
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,31}");
    /** Elements per {@code add element} line: nft's parser handles long lines, but not unbounded ones. */
    private static final int ELEMENTS_PER_LINE = 1000;

    private final NftRunner nft;
    private final String table;
    private final Set<CarriedTuple> written = new HashSet<>();
    private boolean prepared;
    private boolean wholeSetNext = true;

    /**
     * @param nft runs the scripts
     * @param table the nftables table of family ip that MigWare owns (created if missing)
     */
    public CarriedSet(NftRunner nft, String table) {
        if (table == null || !NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("nftTable '" + table + "': a letter, then letters, digits or _ (at most 32)");
        }
        this.nft = nft;
        this.table = table;
    }

    /** @return the table's name */
    public String table() {
        return table;
    }

    /** @return how many tuples the set holds as last written successfully */
    public synchronized int size() {
        return written.size();
    }

    /**
     * Makes the set hold exactly {@code carried}.
     *
     * @throws NftRunner.NftException when nft refused; the next call writes the whole set again
     */
    public synchronized void sync(Collection<CarriedTuple> carried) throws NftRunner.NftException {
        Set<CarriedTuple> wanted = new HashSet<>(carried);
        StringBuilder script = new StringBuilder();
        if (!prepared) {
            script.append(prepareScript());
        }
        if (wholeSetNext) {
            script.append("flush set ip ").append(table).append(" carried\n");
            appendElements(script, "add", wanted);
        } else {
            List<CarriedTuple> gone = new ArrayList<>();
            for (CarriedTuple t : written) {
                if (!wanted.contains(t)) {
                    gone.add(t);
                }
            }
            List<CarriedTuple> added = new ArrayList<>();
            for (CarriedTuple t : wanted) {
                if (!written.contains(t)) {
                    added.add(t);
                }
            }
            appendElements(script, "delete", gone);
            appendElements(script, "add", added);
        }
        if (script.length() == 0) {
            return;
        }
        try {
            nft.run(script.toString());
        } catch (NftRunner.NftException e) {
            wholeSetNext = true;
            prepared = false;
            throw e;
        }
        prepared = true;
        wholeSetNext = false;
        written.clear();
        written.addAll(wanted);
    }

    /** @return the commands that create the table, the set and the chain with its one rule (idempotent) */
    String prepareScript() {
        return "add table ip " + table + "\n"
                + "add set ip " + table + " carried { type ipv4_addr . inet_service . ipv4_addr . inet_service ; }\n"
                + "add chain ip " + table + " carried { type filter hook prerouting priority raw ; policy accept ; }\n"
                + "flush chain ip " + table + " carried\n"
                + "add rule ip " + table + " carried ip protocol tcp ip saddr . tcp sport . ip daddr . tcp dport @carried counter drop\n";
    }

    private void appendElements(StringBuilder script, String verb, Collection<CarriedTuple> tuples) {
        List<CarriedTuple> list = new ArrayList<>(tuples);
        for (int from = 0; from < list.size(); from += ELEMENTS_PER_LINE) {
            script.append(verb).append(" element ip ").append(table).append(" carried { ");
            int to = Math.min(list.size(), from + ELEMENTS_PER_LINE);
            for (int i = from; i < to; i++) {
                if (i > from) {
                    script.append(", ");
                }
                script.append(list.get(i).element());
            }
            script.append(" }\n");
        }
    }
}
