package org.migware.core.internal.status;

import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Instant;

import org.migware.api.failover.FenceStatus;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.TypeAdapter;
import com.google.gson.TypeAdapterFactory;
import com.google.gson.reflect.TypeToken;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;

/**
 * The status records as JSON, for {@code --json} and the control socket: each record an object
 * whose keys are its component names, enums by name, instants in ISO-8601
 * ({@code 2026-11-30T10:00:00Z}), addresses as their literal ({@code 10.0.0.1}), absent parts
 * {@code null}. A fence also says its {@code protection} ({@code fenced} or {@code unfenced}).
 * {@link #parse} reads it back into the same records.
 */
public final class StatusJson {

    private final Gson gson = new GsonBuilder()
            .registerTypeAdapter(Instant.class, new InstantAdapter().nullSafe())
            .registerTypeHierarchyAdapter(InetAddress.class, new AddressAdapter().nullSafe())
            .registerTypeAdapterFactory(new FenceAdapterFactory())
            .serializeNulls()
            .disableHtmlEscaping()
            .create();

    /** @return {@code record} as one line of JSON */
    public String write(Object record) {
        return gson.toJson(record);
    }

    /** @return the record of {@code type} that {@code json} describes */
    public <T> T parse(String json, Class<T> type) {
        return gson.fromJson(json, type);
    }

    /** A fence's record and its {@link FenceStatus#protection()}, which is not a component; read back as the record. */
    private static final class FenceAdapterFactory implements TypeAdapterFactory {
        @Override
        @SuppressWarnings("unchecked")
        public <T> TypeAdapter<T> create(Gson gson, TypeToken<T> type) {
            if (type.getRawType() != FenceStatus.class) {
                return null;
            }
            TypeAdapter<FenceStatus> record = gson.getDelegateAdapter(this, TypeToken.get(FenceStatus.class));
            TypeAdapter<JsonElement> elements = gson.getAdapter(JsonElement.class);
            return (TypeAdapter<T>) new TypeAdapter<FenceStatus>() {
                @Override
                public void write(JsonWriter out, FenceStatus fence) throws IOException {
                    if (fence == null) {
                        out.nullValue();
                        return;
                    }
                    JsonObject object = record.toJsonTree(fence).getAsJsonObject();
                    object.addProperty("protection", fence.protection());
                    elements.write(out, object);
                }

                @Override
                public FenceStatus read(JsonReader in) throws IOException {
                    return record.read(in);
                }
            };
        }
    }

    private static final class InstantAdapter extends TypeAdapter<Instant> {
        @Override
        public void write(JsonWriter out, Instant value) throws IOException {
            out.value(value.toString());
        }

        @Override
        public Instant read(JsonReader in) throws IOException {
            return Instant.parse(in.nextString());
        }
    }

    /** Literal addresses only: reading one back never asks a name server. */
    private static final class AddressAdapter extends TypeAdapter<InetAddress> {
        @Override
        public void write(JsonWriter out, InetAddress value) throws IOException {
            out.value(value.getHostAddress());
        }

        @Override
        public InetAddress read(JsonReader in) throws IOException {
            if (in.peek() != JsonToken.STRING) {
                throw new JsonParseException("an address must be a string at " + in.getPath());
            }
            String literal = in.nextString();
            if (!isLiteral(literal)) {
                throw new JsonParseException("not an address literal: " + literal);
            }
            try {
                return InetAddress.getByName(literal);
            } catch (UnknownHostException e) {
                throw new JsonParseException("not an address literal: " + literal, e);
            }
        }

        /** IPv4 dotted digits, or IPv6 hex groups with colons (and a zone): never a name to look up. */
        private static boolean isLiteral(String text) {
            if (text.indexOf(':') >= 0) {
                return text.chars().allMatch(c -> Character.digit(c, 16) >= 0 || c == ':' || c == '.' || c == '%');
            }
            return text.indexOf('.') > 0 && text.chars().allMatch(c -> (c >= '0' && c <= '9') || c == '.');
        }
    }
}
