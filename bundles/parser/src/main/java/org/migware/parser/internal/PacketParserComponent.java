package org.migware.parser.internal;

import org.migware.api.packet.PacketParser;
import org.migware.api.packet.ParsedPacket;
import org.migware.api.packet.RewritablePacket;
import org.osgi.service.component.annotations.Component;

/**
 * The parser service: hands out {@link FlyweightParsedPacket} views.
 *
 * <p>Stateless, so it needs no configuration and survives any number of consumers coming and
 * going. A view made by this component stays usable after the bundle is stopped or updated:
 * it holds no reference back to the component, so a consumer that caches one per thread keeps
 * parsing while the service is swapped, and picks up the new implementation the next time it
 * asks for a view.
 */
@Component(service = PacketParser.class)
public final class PacketParserComponent implements PacketParser {

    @Override
    public ParsedPacket newView() {
        return new FlyweightParsedPacket();
    }

    @Override
    public RewritablePacket newRewritableView() {
        return new FlyweightParsedPacket();
    }
}
