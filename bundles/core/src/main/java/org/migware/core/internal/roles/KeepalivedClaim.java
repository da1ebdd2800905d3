package org.migware.core.internal.roles;

import java.util.concurrent.TimeUnit;

/**
 * The claim of a backup on a site with more than one (state CLAIMING): the decision is made, and
 * keepalived is released; this host may take the connections over only once keepalived has made
 * it the VRRP master, since every backup that saw the primary die claims at once and VRRP picks
 * exactly one (the highest priority: its master-down timer is the shortest). The others stand
 * down, seeing the service answer again from the winner (their monitors watch the service
 * address), and watch the new master.
 *
 * <p>A claim that keepalived never grants (its process dead, say) stands down after a time and
 * is not made again for as long: the primary may still be dead, and the next claim is the next
 * chance. Used on the coordinator's thread only.
 */
public final class KeepalivedClaim {

    /** What a claim comes to at one evaluation. */
    public enum Outcome {
        /** Neither master nor stood down yet. */
        WAITING,
        /** keepalived made this host the master: the service address is its own. */
        MASTER,
        /** The service answers again: another host became the master, or the primary is back. */
        SERVICE_ANSWERS,
        /** keepalived did not make this host the master in time. */
        TIMED_OUT
    }

    private long startedNanos;
    /** Since when the service address has been on this host without a break, while claiming; valid when {@link #addressHeld}. */
    private long addressSinceNanos;
    private boolean addressHeld;
    private String reason = "";
    private long noClaimBeforeNanos;
    private boolean holdingOff;

    /**
     * @param now monotonic nanoseconds
     * @return null when a claim may start now, else why not (a claim that timed out holds the next one off)
     */
    public String refusal(long now) {
        if (holdingOff && now - noClaimBeforeNanos < 0) {
            return "not failing over: the last claim timed out (keepalived did not make this host the VRRP master); the next in "
                    + TimeUnit.NANOSECONDS.toMillis(noClaimBeforeNanos - now) + " ms";
        }
        holdingOff = false;
        return null;
    }

    /**
     * @param why the decision's reason
     * @param now monotonic nanoseconds
     */
    public void start(String why, long now) {
        this.reason = why;
        this.startedNanos = now;
        this.addressHeld = false;
    }

    /**
     * One evaluation. The address is asked first: the winner's own monitor sees the service answer
     * too, from itself, once keepalived has given it the address. The address must stay for
     * {@code settleMillis}: two backups whose master-down timers end in the same instant both
     * become the master, and the lower priority yields only at the higher's first advert (on the
     * lab, 1 run in 6 took the connections over on both hosts before that).
     *
     * @param addressLocal whether a service address is on this host now
     * @param serviceAnswers whether the monitors say the service is alive again
     * @param timeoutMillis how long keepalived may take
     * @param settleMillis how long the address must stay on this host
     * @param now monotonic nanoseconds
     * @return what the claim comes to
     */
    public Outcome evaluate(boolean addressLocal, boolean serviceAnswers, long timeoutMillis, long settleMillis, long now) {
        if (addressLocal) {
            if (!addressHeld) {
                addressHeld = true;
                addressSinceNanos = now;
            }
            // while it settles, the monitors see the service answer from this host: not a stand-down
            return now - addressSinceNanos >= TimeUnit.MILLISECONDS.toNanos(Math.max(0, settleMillis)) ? Outcome.MASTER : Outcome.WAITING;
        }
        addressHeld = false;
        if (serviceAnswers) {
            return Outcome.SERVICE_ANSWERS;
        }
        if (now - startedNanos > TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis))) {
            holdingOff = true;
            noClaimBeforeNanos = now + TimeUnit.MILLISECONDS.toNanos(Math.max(0, timeoutMillis));
            return Outcome.TIMED_OUT;
        }
        return Outcome.WAITING;
    }

    /** @return the decision's reason */
    public String reason() {
        return reason;
    }

    /**
     * @param now monotonic nanoseconds
     * @return milliseconds since the claim started
     */
    public long elapsedMillis(long now) {
        return TimeUnit.NANOSECONDS.toMillis(now - startedNanos);
    }
}
