package dev.renderloop.render;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Source text checked at the boundary where bytes become code: strict UTF-8, no NUL bytes, a size
 * cap. {@link #problem()} is null when the text is acceptable.
 *
 * @param text    the decoded text (empty when undecodable)
 * @param problem why the bytes cannot be used as code, or null
 */
public record SourceText(String text, String problem) {

    /** Largest program accepted by default: model answers are far smaller; 1 MiB leaves room. */
    public static final int DEFAULT_MAX_BYTES = 1 << 20;

    public boolean ok() {
        return problem == null;
    }

    /** Decodes and checks {@code bytes} with the default size cap. */
    public static SourceText decode(byte[] bytes) {
        return decode(bytes, DEFAULT_MAX_BYTES);
    }

    public static SourceText decode(byte[] bytes, int maxBytes) {
        if (bytes.length > maxBytes) {
            return new SourceText("", String.format("the program is %,d bytes; the limit is %,d bytes", bytes.length, maxBytes));
        }
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length);
        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            return new SourceText("", String.format("the program is not valid UTF-8 text (invalid byte 0x%02x at offset %d)",
                    bytes[in.position()] & 0xff, in.position()));
        }
        String text = out.flip().toString();
        return check(text, maxBytes);
    }

    /** Checks text that is already a string (e.g. extracted from a model's answer). */
    public static SourceText check(String text, int maxBytes) {
        int nul = text.indexOf('\0');
        if (nul >= 0) {
            return new SourceText("", "the program contains a NUL byte at character " + nul + "; it is binary, not source text");
        }
        int size = text.getBytes(StandardCharsets.UTF_8).length;
        if (size > maxBytes) {
            return new SourceText("", String.format("the program is %,d bytes; the limit is %,d bytes", size, maxBytes));
        }
        return new SourceText(text, null);
    }
}
