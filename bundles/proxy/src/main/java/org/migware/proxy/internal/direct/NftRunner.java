package org.migware.proxy.internal.direct;

/** Runs one nftables script as a single transaction: all of it applies, or none. */
@FunctionalInterface
public interface NftRunner {

    /**
     * @param script commands in {@code nft -f} syntax, one a line
     * @throws NftException when nft is missing, fails or does not finish; the message says which and why
     */
    void run(String script) throws NftException;

    /** Why an nftables script did not apply. */
    final class NftException extends Exception {
        private static final long serialVersionUID = 1L;

        public NftException(String message) {
            super(message);
        }

        public NftException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
