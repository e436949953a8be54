package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SourceTextTest {

    @Test
    void decode_acceptsUtf8WithNonAscii() {
        SourceText t = SourceText.decode("print('héllo ✓ 数学')\n".getBytes(StandardCharsets.UTF_8));
        assertTrue(t.ok());
        assertEquals("print('héllo ✓ 数学')\n", t.text());
    }

    @Test
    void decode_nonUtf8_namesTheOffendingByteAndOffset() {
        byte[] latin1 = "x = 'caf\u00e9'\n".getBytes(StandardCharsets.ISO_8859_1);
        SourceText t = SourceText.decode(latin1);
        assertEquals("", t.text());
        assertEquals("the program is not valid UTF-8 text (invalid byte 0xe9 at offset 8)", t.problem());
    }

    @Test
    void decode_nulByte_isRejectedAsBinary() {
        SourceText t = SourceText.decode(new byte[] {'a', '=', '1', 0, '\n'});
        assertTrue(t.problem().contains("NUL byte at character 3"), t.problem());
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42})
    void decode_randomBinaryGarbage_isNeverAcceptedAsCode(long seed) {
        byte[] garbage = new byte[4096];
        new Random(seed).nextBytes(garbage);
        garbage[100] = 0;  // binary files practically always hold NUL bytes; make sure this one does
        SourceText t = SourceText.decode(garbage);
        assertTrue(t.problem() != null && (t.problem().contains("UTF-8") || t.problem().contains("NUL")), t.problem());
    }

    @Test
    void decode_overTheCap_isRejectedWithBothSizes() {
        SourceText t = SourceText.decode(new byte[2048], 1024);
        assertEquals("the program is 2,048 bytes; the limit is 1,024 bytes", t.problem());
    }

    @Test
    void check_countsUtf8BytesNotChars() {
        String s = "é".repeat(600);  // 1200 bytes in UTF-8
        assertTrue(SourceText.check(s, 1000).problem().contains("1,200 bytes"));
        assertNull(SourceText.check(s, 1200).problem());
    }
}
