package org.migware.core.internal;

import java.lang.annotation.Annotation;

/** Typed configurations for tests, as DS would build them from Configuration Admin. */
public final class TestConfigs {

    private TestConfigs() {
    }

    public static FailoverCoordinator.Config failover(String policy, int quorum, long holdDownMillis,
            long isolationSilenceMillis, boolean dryRun) {
        return failover(policy, quorum, holdDownMillis, isolationSilenceMillis, dryRun, "", 10_000, 1000);
    }

    /** The same with a fence command. */
    public static FailoverCoordinator.Config failover(String policy, int quorum, long holdDownMillis,
            long isolationSilenceMillis, boolean dryRun, String fenceCommand, long fenceTimeoutMillis, long fenceRetryMillis) {
        return failover(policy, quorum, holdDownMillis, isolationSilenceMillis, dryRun, fenceCommand, fenceTimeoutMillis,
                fenceRetryMillis, false, 3000);
    }

    /** The same, claiming through keepalived (several backups) or not. */
    public static FailoverCoordinator.Config failover(String policy, int quorum, long holdDownMillis,
            long isolationSilenceMillis, boolean dryRun, String fenceCommand, long fenceTimeoutMillis, long fenceRetryMillis,
            boolean claimThroughKeepalived, long claimTimeoutMillis) {
        return new FailoverCoordinator.Config() {
            @Override
            public Class<? extends Annotation> annotationType() {
                return FailoverCoordinator.Config.class;
            }

            @Override
            public String policy() {
                return policy;
            }

            @Override
            public int quorum() {
                return quorum;
            }

            @Override
            public long holdDownMillis() {
                return holdDownMillis;
            }

            @Override
            public long isolationSilenceMillis() {
                return isolationSilenceMillis;
            }

            @Override
            public long isolationSettleMillis() {
                return 2000;
            }

            @Override
            public boolean dryRun() {
                return dryRun;
            }

            @Override
            public String fenceCommand() {
                return fenceCommand;
            }

            @Override
            public long fenceTimeoutMillis() {
                return fenceTimeoutMillis;
            }

            @Override
            public long fenceRetryMillis() {
                return fenceRetryMillis;
            }

            @Override
            public boolean claimThroughKeepalived() {
                return claimThroughKeepalived;
            }

            @Override
            public long claimTimeoutMillis() {
                return claimTimeoutMillis;
            }

            @Override
            public long claimSettleMillis() {
                return 300;
            }
        };
    }

    /** A coordinator that evaluates only when asked, seeing capture traffic and a link that is up. */
    public static FailoverCoordinator coordinator(FailoverCoordinator.Config config) {
        return new FailoverCoordinator(config, new TestSurroundings(), new VerdictRelay());
    }
}
