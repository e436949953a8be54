package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The pipe protocol against a scripted fake browser: framing, correlation, events, errors, EOF. */
class CdpConnectionTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final Duration WAIT = Duration.ofSeconds(5);

    PipedOutputStream browserWrites;
    Commands browserReads;
    CdpConnection cdp;

    @BeforeEach
    void connect() throws IOException {
        browserWrites = new PipedOutputStream();
        PipedInputStream fromBrowser = new PipedInputStream(browserWrites, 1 << 20);
        browserReads = new Commands();
        cdp = new CdpConnection(fromBrowser, browserReads, "test");
    }

    @AfterEach
    void close() {
        cdp.close();
    }

    /** What the fake browser received: NUL-terminated commands, one string each. */
    static final class Commands extends OutputStream {
        final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
        private final ByteArrayOutputStream current = new ByteArrayOutputStream();

        @Override
        public synchronized void write(int b) throws IOException {
            if (b == 0) {
                received.add(JSON.readTree(current.toByteArray()));
                current.reset();
            } else {
                current.write(b);
            }
        }

        JsonNode next() throws InterruptedException {
            JsonNode n = received.poll(5, TimeUnit.SECONDS);
            if (n == null) {
                throw new AssertionError("no command sent");
            }
            return n;
        }
    }

    void browserSends(String... messages) throws IOException {
        for (String m : messages) {
            browserWrites.write(m.getBytes(StandardCharsets.UTF_8));
            browserWrites.write(0);
        }
        browserWrites.flush();
    }

    @Test
    void call_sendsNulTerminatedCommand_withSession_andGetsItsResult() throws Exception {
        CompletableFuture<JsonNode> answer = cdp.send("Page.navigate", JSON.createObjectNode().put("url", "x"), "S1");
        JsonNode sent = browserReads.next();
        assertEquals("Page.navigate", sent.path("method").asText());
        assertEquals("S1", sent.path("sessionId").asText());
        assertEquals("x", sent.path("params").path("url").asText());
        browserSends("{\"id\":" + sent.path("id").asLong() + ",\"result\":{\"frameId\":\"F\"},\"sessionId\":\"S1\"}");
        assertEquals("F", answer.get(5, TimeUnit.SECONDS).path("frameId").asText());
    }

    @Test
    void browserCommands_haveNoSessionId() throws Exception {
        cdp.send("Browser.getVersion", null, "");
        assertFalse(browserReads.next().has("sessionId"));
    }

    @Test
    void answersOutOfOrder_reachTheirOwnCallers_andSeveralMessagesInOneWriteAreSplit() throws Exception {
        CompletableFuture<JsonNode> a = cdp.send("A", null, "");
        CompletableFuture<JsonNode> b = cdp.send("B", null, "");
        long idA = browserReads.next().path("id").asLong();
        long idB = browserReads.next().path("id").asLong();
        browserWrites.write(("{\"id\":" + idB + ",\"result\":{\"v\":\"b\"}}\0{\"id\":" + idA + ",\"result\":{\"v\":\"a\"}}\0")
                .getBytes(StandardCharsets.UTF_8));
        browserWrites.flush();
        assertEquals("a", a.get(5, TimeUnit.SECONDS).path("v").asText());
        assertEquals("b", b.get(5, TimeUnit.SECONDS).path("v").asText());
    }

    @Test
    void errorAnswer_failsTheCall_withoutClosingTheConnection() throws Exception {
        CompletableFuture<JsonNode> answer = cdp.send("Nope.nothing", null, "");
        long id = browserReads.next().path("id").asLong();
        browserSends("{\"id\":" + id + ",\"error\":{\"code\":-32601,\"message\":\"'Nope.nothing' wasn't found\"}}");
        ExecutionException e = assertThrows(ExecutionException.class, () -> answer.get(5, TimeUnit.SECONDS));
        CdpConnection.CdpException cause = (CdpConnection.CdpException) e.getCause();
        assertFalse(cause.connectionLost());
        assertTrue(cause.getMessage().contains("wasn't found"), cause.getMessage());
        assertTrue(cdp.isOpen());
    }

    @Test
    void events_goToTheListenerOfTheirSession() throws Exception {
        BlockingQueue<CdpConnection.Event> page = new LinkedBlockingQueue<>();
        BlockingQueue<CdpConnection.Event> browser = new LinkedBlockingQueue<>();
        cdp.subscribe("S1", page::add);
        cdp.subscribe("", browser::add);
        browserSends("{\"method\":\"Page.loadEventFired\",\"params\":{\"timestamp\":1},\"sessionId\":\"S1\"}",
                "{\"method\":\"Target.targetCreated\",\"params\":{}}",
                "{\"method\":\"Page.loadEventFired\",\"params\":{},\"sessionId\":\"OTHER\"}");
        CdpConnection.Event e = page.poll(5, TimeUnit.SECONDS);
        assertEquals("Page.loadEventFired", e.method());
        assertEquals(1, e.params().path("timestamp").asInt());
        assertEquals("Target.targetCreated", browser.poll(5, TimeUnit.SECONDS).method());
        Thread.sleep(100);
        assertTrue(page.isEmpty(), "events of other sessions must not arrive");
    }

    @Test
    void browserExit_failsPendingCalls_andTellsEveryListener() throws Exception {
        BlockingQueue<CdpConnection.Event> page = new LinkedBlockingQueue<>();
        cdp.subscribe("S1", page::add);
        CompletableFuture<JsonNode> pending = cdp.send("Page.captureScreenshot", null, "S1");
        browserReads.next();
        browserWrites.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> pending.get(5, TimeUnit.SECONDS));
        assertTrue(((CdpConnection.CdpException) e.getCause()).connectionLost());
        assertEquals(CdpConnection.CONNECTION_CLOSED, page.poll(5, TimeUnit.SECONDS).method());
        assertFalse(cdp.isOpen());
        assertTrue(cdp.closedReason().contains("closed"), cdp.closedReason());
        // Later calls fail at once rather than waiting for an answer that cannot come.
        CdpConnection.CdpException later = assertThrows(CdpConnection.CdpException.class,
                () -> cdp.call("Browser.getVersion", null, "", WAIT));
        assertTrue(later.connectionLost());
    }

    @Test
    void call_withoutAnswer_timesOut() {
        assertThrows(TimeoutException.class, () -> cdp.call("Slow.method", null, "", Duration.ofMillis(100)));
    }

    @Test
    void unparseableFrame_isSkipped() throws Exception {
        CompletableFuture<JsonNode> answer = cdp.send("A", null, "");
        long id = browserReads.next().path("id").asLong();
        browserSends("not json", "{\"id\":" + id + ",\"result\":{}}");
        answer.get(5, TimeUnit.SECONDS);
        assertTrue(cdp.isOpen());
    }

    /** The reader stays correct when a message arrives in pieces. */
    @Test
    void messageSplitAcrossWrites_isReassembled() throws Exception {
        CompletableFuture<JsonNode> answer = cdp.send("A", null, "");
        long id = browserReads.next().path("id").asLong();
        byte[] message = ("{\"id\":" + id + ",\"result\":{\"data\":\"" + "x".repeat(200_000) + "\"}}").getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < message.length; i += 7_001) {
            browserWrites.write(message, i, Math.min(7_001, message.length - i));
            browserWrites.flush();
        }
        browserWrites.write(0);
        browserWrites.flush();
        assertEquals(200_000, answer.get(5, TimeUnit.SECONDS).path("data").asText().length());
    }
}
