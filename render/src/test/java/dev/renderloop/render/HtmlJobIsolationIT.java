package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Per-job isolation of the html domain (issue 14), in the spirit of {@link JobIsolationIT}: each attack
 * family runs as a hostile page in ONE warm browser, then the benign pages run in that same browser
 * (one job at a time, no spare page, so the benign job lands on the hostile job's reset page when it
 * is reused); their frames must be byte-identical to a fresh browser's, and the browser must not have
 * been replaced. The benign {@link #PROBE} reads every place a page could leave state for a later one
 * and draws what it found, so leftover state changes its frame.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HtmlJobIsolationIT {
    static final RenderSettings SETTINGS = RenderSettings.HTML_DEFAULTS.withTimeout(Duration.ofSeconds(10));

    /**
     * Draws (and logs) what it finds. Synchronously, as {@code state ...}: web storage, cookies, the
     * window's name, history, frames, opener. Asynchronously, as {@code async ...}: IndexedDB databases,
     * Cache API caches and service workers (both absent from an http origin, which is not a secure
     * context: also drawn), permissions. The page is captured at its first frame after the load event,
     * which does not wait for promises; so the parser is held (and the load event with it) by
     * parser-blocking empty scripts, written one after the other until the answers are drawn.
     */
    static final String PROBE = """
            <!doctype html><body style="margin:0;font:14px monospace;background:#fff"><pre id="s">probing</pre><pre id="a">pending</pre>
            <script>
            const s = {local: Object.keys(localStorage).sort(), session: Object.keys(sessionStorage).sort(),
              cookie: document.cookie, name: window.name, history: history.length, state: history.state,
              hash: location.hash, frames: window.length, opener: window.opener === null,
              notification: typeof Notification === 'undefined' ? 'absent' : Notification.permission};
            document.getElementById('s').textContent = JSON.stringify(s, null, 1);
            console.log('state ' + JSON.stringify(s));
            const q = name => navigator.permissions.query({name}).then(r => name + ':' + r.state, () => name + ':error');
            Promise.all([
              indexedDB.databases().then(d => 'idb:' + d.map(x => x.name + '/' + x.version).sort().join(',')),
              typeof caches === 'undefined' ? 'caches:absent' : caches.keys().then(k => 'caches:' + k.sort().join(',')),
              navigator.serviceWorker ? navigator.serviceWorker.getRegistrations().then(r => 'sw:' + r.length) : 'sw:absent',
              navigator.storage && navigator.storage.persisted ? navigator.storage.persisted().then(p => 'persisted:' + p) : 'persisted:absent',
              q('geolocation'), q('notifications'), q('camera'), q('persistent-storage')
            ]).then(v => { document.getElementById('a').textContent = v.join('\\n'); console.log('async ' + v.join(' ')); window.probed = true; });
            function hold(n) { if (!window.probed && n < 1000) document.write('<script src="data:text/javascript,"><\\/script><script>hold(' + (n + 1) + ')<\\/script>'); }
            hold(0);</script><p>end</p>""";
    /** A second benign page: plain layout, no script. */
    static final String PLAIN = ChromiumRendererIT.RED_PAGE;

    /** Leaves data in every store a page can reach, now, from timers, and while being unloaded. */
    static final String STORAGE = """
            <!doctype html><body><p>storage</p><script type="module">
            localStorage.setItem('planted', '1'); sessionStorage.setItem('planted', '1');
            document.cookie = 'planted=1; max-age=3600'; document.cookie = 'planted2=1; path=/; max-age=86400';
            document.cookie = 'planted3=1; domain=renderloop.invalid; max-age=3600'; document.cookie = 'planted4=1; domain=invalid; max-age=3600';
            window.name = 'planted';
            await new Promise((ok, no) => { const r = indexedDB.open('planted', 3);
              r.onupgradeneeded = () => r.result.createObjectStore('s');
              r.onsuccess = () => { const t = r.result.transaction('s', 'readwrite'); t.objectStore('s').put('x', 'k'); t.oncomplete = ok; };
              r.onerror = no; });
            try { const c = await caches.open('planted'); await c.put('/planted', new Response('x')); } catch (e) { console.log('cache: ' + e); }
            try { await navigator.serviceWorker.register('/sw.js'); } catch (e) { console.log('sw: ' + e); }
            setInterval(() => localStorage.setItem('timer', String(Date.now())), 1);
            addEventListener('pagehide', () => { localStorage.setItem('pagehide', '1'); indexedDB.open('pagehide'); });
            </script>""";

    /** Fills IndexedDB and local storage with as much as the quota lets it (in memory: contexts are off the record), and downloads. */
    static final String DISK_FILL = """
            <!doctype html><body><p>fill</p><script type="module">
            localStorage.setItem('x', 'y');
            try { for (let i = 0; ; i++) localStorage.setItem('planted' + i, 'z'.repeat(1 << 20)); } catch (e) { console.log('local full: ' + e.name); }
            const db = await new Promise(ok => { const r = indexedDB.open('planted');
              r.onupgradeneeded = () => r.result.createObjectStore('s'); r.onsuccess = () => ok(r.result); });
            let stored = 0;
            try {
              for (let i = 0; i < 24; i++) {
                await new Promise((ok, no) => { const t = db.transaction('s', 'readwrite');
                  t.objectStore('s').put(new Uint8Array(8 << 20).fill(i + 1), i); t.oncomplete = ok; t.onerror = t.onabort = () => no(t.error); });
                stored += 8;
              }
            } catch (e) { console.log('idb full: ' + e); }
            console.log('stored MiB ' + stored);
            for (let i = 0; i < 6; i++) {  // 24 MiB of downloads, which would land in the profile
              const a = Object.assign(document.createElement('a'), {href: URL.createObjectURL(new Blob([new Uint8Array(4 << 20)])), download: 'planted' + i + '.bin'});
              document.body.appendChild(a); a.click();
            }
            await new Promise(ok => setTimeout(ok, 500));
            </script>""";

    /** Changes what a browser keeps between pages: popups, history, permissions, workers, fullscreen. */
    static final String BROWSER_STATE = """
            <!doctype html><body><p>state</p><script type="module">
            for (let i = 0; i < 20; i++) { try { window.open('about:blank', 'w' + i); } catch (e) {} }
            for (let i = 0; i < 50; i++) history.pushState({job: i}, '', '#planted' + i);
            location.hash = 'planted';
            try { await Notification.requestPermission(); } catch (e) {}
            try { navigator.geolocation.getCurrentPosition(() => {}, () => {}); } catch (e) {}
            try { await navigator.storage.persist(); } catch (e) {}
            try { await document.documentElement.requestFullscreen(); } catch (e) {}
            try { new SharedWorker(URL.createObjectURL(new Blob(
              ["setInterval(() => indexedDB.open('from-worker'), 5)"], {type: 'text/javascript'}))); } catch (e) { console.log('sw ' + e); }
            try { new Worker(URL.createObjectURL(new Blob(
              ["setInterval(() => indexedDB.open('from-worker2'), 5)"], {type: 'text/javascript'}))); } catch (e) {}
            new BroadcastChannel('planted').postMessage('x');
            document.body.appendChild(Object.assign(document.createElement('iframe'), {srcdoc: '<script>localStorage.setItem("iframe", 1); top.name = "planted"<\\/script>'}));
            </script>""";

    Path out;
    ChromiumRenderer warm;
    byte[] freshProbe;
    Path freshProbeFrame;
    byte[] freshPlain;
    String freshState;
    private int jobs;

    @BeforeAll
    void start() throws Exception {
        Assumptions.assumeTrue(new ChromiumRenderer().availability().available(), "Chromium is not installed");
        out = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "html-isolation-out-");
        try (ChromiumRenderer fresh = oneAtATime()) {
            RenderResult probe = render(fresh, PROBE);
            assertTrue(probe.ok(), probe.error());
            freshProbe = Files.readAllBytes(probe.lastFrame());
            freshProbeFrame = probe.lastFrame();
            freshState = HtmlPageReuseIT.stateLine(probe) + "\n" + asyncLine(probe);
            RenderResult plain = render(fresh, PLAIN);
            assertTrue(plain.ok(), plain.error());
            freshPlain = Files.readAllBytes(plain.lastFrame());
        }
        assertTrue(freshState.contains("idb: ") && freshState.contains("\"local\":[]"), freshState);
        warm = oneAtATime();
        assertTrue(render(warm, PLAIN).ok());
    }

    @AfterAll
    void stop() throws IOException {
        if (warm != null) {
            warm.close();
        }
        if (out != null && !Boolean.getBoolean("keep")) {
            Directories.delete(out);
        }
    }

    ChromiumRenderer oneAtATime() {
        return new ChromiumRenderer(ChromiumRenderer.Options.defaults().withMaxConcurrentJobs(1).withSparePages(0));
    }

    RenderResult render(ChromiumRenderer renderer, String page) throws IOException {
        return renderer.render(new RenderRequest("html", page, SETTINGS), Files.createDirectories(out.resolve("job" + jobs++)));
    }

    /** The benign pages after a hostile one: the same bytes as a fresh browser's, on the same browser. */
    private void assertBenignPagesAsFresh(String attack) throws IOException {
        int browsers = warm.browsersStarted();
        RenderResult probe = render(warm, PROBE);
        assertTrue(probe.ok(), attack + ": " + probe.error());
        assertEquals(freshState, HtmlPageReuseIT.stateLine(probe) + "\n" + asyncLine(probe), attack + ": the next page found state left behind");
        assertArrayEquals(freshProbe, Files.readAllBytes(probe.lastFrame()), attack + ": the probe's frame changed: " + probe.lastFrame() + " vs fresh " + freshProbeFrame);
        RenderResult plain = render(warm, PLAIN);
        assertTrue(plain.ok(), attack + ": " + plain.error());
        assertArrayEquals(freshPlain, Files.readAllBytes(plain.lastFrame()), attack + ": a plain page's frame changed");
        assertEquals(browsers, warm.browsersStarted(), attack + ": the browser had to be replaced");
    }

    static Stream<String> storageAttacks() {
        return Stream.of("storage", "browser state");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("storageAttacks")
    void stateLeftByAHostilePage_isGoneForTheNextPages(String attack) throws IOException {
        String page = attack.equals("storage") ? STORAGE : BROWSER_STATE;
        RenderResult hostile = render(warm, page);
        assertTrue(hostile.ok() || hostile.errorKind() == ErrorKind.TIMEOUT, attack + ": " + hostile.error());
        assertBenignPagesAsFresh(attack);
    }

    @Test
    void theProbe_seesStateItsOwnPageLeft() throws IOException {
        // The probe is only a test if it can see state: here the page stores, then probes.
        RenderResult r = render(warm, "<!doctype html><script>localStorage.setItem('planted', '1'); document.cookie = 'planted=1';"
                + "window.name = 'planted'; indexedDB.open('planted', 3).onsuccess = () => window.stored = true;"
                // Held until the database exists, as the probe holds the page until it has looked.
                + "function wait(n) { if (!window.stored && n < 1000) document.write('<script src=\"data:text/javascript,\"><\\/script>"
                + "<script>wait(' + (n + 1) + ')<\\/script>'); } wait(0);</script>" + PROBE.substring(PROBE.indexOf("<body")));
        assertTrue(r.ok(), r.error());
        String state = HtmlPageReuseIT.stateLine(r) + "\n" + asyncLine(r);
        assertTrue(state.contains("\"local\":[\"planted\"]") && state.contains("planted=1") && state.contains("idb:planted/3"), state);
        assertNotEquals(freshState, state);
        assertBenignPagesAsFresh("a page that stored and probed");
    }

    static String asyncLine(RenderResult r) {
        return r.log().lines().filter(l -> l.startsWith("console.log: async ")).findFirst().orElse("no async line in: " + r.log());
    }

    @Test
    void fillingStorage_writesNothingToDiskAndLeavesNothingForTheNextPages() throws IOException {
        Path scratch = warm.scratchRoot();
        long before = bytesUnder(scratch);
        RenderResult hostile = render(warm, DISK_FILL);
        assertTrue(hostile.ok() || hostile.errorKind() == ErrorKind.TIMEOUT || hostile.errorKind() == ErrorKind.MEMORY_LIMIT,
                hostile.errorKind() + ": " + hostile.error());
        long grew = bytesUnder(scratch) - before;
        // The page stored up to 192 MiB in IndexedDB and up to its local-storage quota; contexts are off the record.
        assertTrue(grew < 16L << 20, "the browser's scratch grew by " + grew + " bytes; log: " + hostile.log());
        try (Stream<Path> files = Files.walk(scratch)) {
            List<Path> planted = files.filter(p -> p.getFileName().toString().startsWith("planted")).toList();
            assertTrue(planted.isEmpty(), "downloads reached the disk: " + planted);
        }
        assertBenignPagesAsFresh("disk fill");
    }

    @Test
    void hostFilesOutsideTheAllowlist_areNotRead() throws IOException {
        // Canaries where a page might look: the system temp directory and the project tree, world-readable.
        for (Path where : List.of(Path.of(System.getProperty("java.io.tmpdir")), Path.of("target").toAbsolutePath())) {
            Path dir = Files.createTempDirectory(where, "renderloop-canary");
            dir.toFile().setReadable(true, false);
            dir.toFile().setExecutable(true, false);
            Path text = Files.writeString(dir.resolve("canary.txt"), "CANARY-5521");
            Path html = Files.writeString(dir.resolve("canary.html"), "<body style=\"margin:0;background:#ff0000\">CANARY-5521");
            Path png = dir.resolve("canary.png");
            BufferedImage red = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 64; y++) {
                for (int x = 0; x < 64; x++) {
                    red.setRGB(x, y, 0xff0000);
                }
            }
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            ImageIO.write(red, "png", bytes);
            Files.write(png, bytes.toByteArray());
            for (Path p : List.of(text, html, png)) {
                p.toFile().setReadable(true, false);
            }
            try {
                String t = "file://" + text;
                // Any read that works turns the body red or shows the red canary: the frame must stay green and white.
                String page = "<!doctype html><body style=\"margin:0;background:#00ff00\">"
                        + "<iframe src=\"file://" + html + "\" style=\"position:absolute;left:0;top:0;width:200px;height:200px;border:0\"></iframe>"
                        + "<img src=\"file://" + png + "\" style=\"position:absolute;left:300px;top:0;width:64px;height:64px\">"
                        + "<object data=\"file://" + html + "\" style=\"position:absolute;left:0;top:300px;width:200px;height:200px\"></object>"
                        + "<embed src=\"file://" + png + "\" style=\"position:absolute;left:300px;top:300px;width:64px;height:64px\">"
                        + "<link rel=\"stylesheet\" href=\"file://" + dir.resolve("canary.css") + "\">"
                        + "<script type=\"module\">"
                        + "const bad = s => { document.body.style.background = '#ff0000'; console.log('READ ' + s); };"
                        + "try { bad(await (await fetch('" + t + "')).text()); } catch (e) { console.log('fetch refused'); }"
                        + "try { const x = new XMLHttpRequest(); x.open('GET', '" + t + "', false); x.send(); bad(x.responseText); }"
                        + " catch (e) { console.log('xhr refused'); }"
                        + "try { const w = window.open('" + t + "'); if (w && w.document && w.document.body) bad(w.document.body.innerText); }"
                        + " catch (e) { console.log('open refused'); }"
                        + "</script>";
                RenderResult hostile = render(warm, page);
                assertTrue(hostile.ok(), where + ": " + hostile.error());
                assertFalse(hostile.log().contains("CANARY") || hostile.log().contains("READ "), where + ": " + hostile.log());
                BufferedImage frame = ImageIO.read(hostile.lastFrame().toFile());
                for (int[] xy : new int[][] {{100, 100}, {330, 30}, {100, 400}, {330, 330}, {600, 600}}) {
                    assertNotEquals(0xffff0000, frame.getRGB(xy[0], xy[1]), where + ": a file: read painted red at " + xy[0] + "," + xy[1]);
                }
                assertEquals(0xff00ff00, frame.getRGB(600, 600), where + ": the page's own background");
                assertBenignPagesAsFresh("file reads under " + where);
            } finally {
                for (Path p : List.of(text, html, png)) {
                    Files.deleteIfExists(p);
                }
                Files.delete(dir);
            }
        }
    }

    @Test
    void network_isUnreachable_andTheNextPagesRenderAsFresh() throws Exception {
        AtomicInteger connections = new AtomicInteger();
        try (ServerSocket trap = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofPlatform().daemon().start(() -> {
                while (!trap.isClosed()) {
                    try {
                        Socket s = trap.accept();
                        connections.incrementAndGet();
                        s.close();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            String url = "http://127.0.0.1:" + trap.getLocalPort();
            String page = "<!doctype html><body><img src=\"" + url + "/img\"><iframe src=\"" + url + "/frame\"></iframe>"
                    + "<script type=\"module\">"
                    + "try { await fetch('" + url + "/fetch'); } catch (e) {}"
                    + "try { navigator.sendBeacon('" + url + "/beacon', 'x'); } catch (e) {}"
                    + "try { new WebSocket('ws://127.0.0.1:" + trap.getLocalPort() + "/ws'); } catch (e) {}"
                    + "try { new EventSource('" + url + "/events'); } catch (e) {}"
                    + "try { await fetch('http://localhost:" + trap.getLocalPort() + "/local'); } catch (e) {}"
                    + "addEventListener('pagehide', () => navigator.sendBeacon('" + url + "/unload', 'x'));"
                    + "</script>";
            RenderResult hostile = render(warm, page);
            assertTrue(hostile.ok(), hostile.error());
            assertBenignPagesAsFresh("network");
            Thread.sleep(300);
            assertEquals(0, connections.get(), "a page reached a local server");
            trap.close();
            acceptor.join(2000);
        }
    }

    /** Bytes of the regular files under {@code dir}; files that vanish while it counts are skipped. */
    static long bytesUnder(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            return files.mapToLong(p -> {
                try {
                    return Files.isRegularFile(p) ? Files.size(p) : 0;
                } catch (IOException e) {
                    return 0;
                }
            }).sum();
        } catch (java.io.UncheckedIOException e) {
            return bytesUnder(dir);
        }
    }
}
