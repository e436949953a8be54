package dev.renderloop.render;

import com.github.weisj.jsvg.SVGDocument;
import com.github.weisj.jsvg.parser.DocumentLimits;
import com.github.weisj.jsvg.parser.DomDocument;
import com.github.weisj.jsvg.parser.LoaderContext;
import com.github.weisj.jsvg.parser.SVGLoader;
import com.github.weisj.jsvg.parser.resources.RenderableResource;
import com.github.weisj.jsvg.parser.resources.ResourceLoader;
import com.github.weisj.jsvg.parser.resources.ResourcePolicy;
import com.github.weisj.jsvg.parser.resources.ResourceSupplier;
import com.github.weisj.jsvg.parser.resources.impl.ImageResource;
import com.github.weisj.jsvg.parser.resources.impl.ValueResourceSupplier;
import com.github.weisj.jsvg.renderer.NullPlatformSupport;
import com.github.weisj.jsvg.renderer.output.Output;
import com.github.weisj.jsvg.renderer.output.impl.Graphics2DOutput;
import com.github.weisj.jsvg.renderer.output.impl.RenderingHintsUtil;
import com.github.weisj.jsvg.view.FloatSize;
import com.github.weisj.jsvg.view.ViewBox;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.Image;
import java.awt.RenderingHints;
import java.awt.Shape;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.awt.image.ImageObserver;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HexFormat;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Renders SVG documents with <a href="https://github.com/weisJ/jsvg">JSVG</a> (Java2D) to
 * one PNG of exactly the requested size on white, the document's aspect ratio kept and centred.
 *
 * <h2>Containment of hostile documents</h2>
 * <ul>
 *   <li><b>Size</b>: documents over {@link #MAX_DOCUMENT_BYTES} are {@link ErrorKind#BAD_INPUT}.</li>
 *   <li><b>XML</b>: {@link SvgXml} parses with the JDK's StAX parser, DTDs off; entity declarations
 *       and undefined entity references are {@link ErrorKind#SYNTAX_ERROR} (no XXE, no entity
 *       expansion).</li>
 *   <li><b>External resources</b>: JSVG's {@link ResourcePolicy#DENY_EXTERNAL} (absolute and relative
 *       URLs refused; JSVG keeps its element loader that never opens other documents, so
 *       {@code <use href="other.svg#x">} resolves to nothing), the document has no base URI (relative
 *       references cannot resolve), and {@link EmbeddedImages} replaces JSVG's resource loader: it
 *       decodes {@code data:} images only, in memory, and never opens a URL or a file.</li>
 *   <li><b>Dimensions</b>: drawing always targets the fixed output size; the document's own
 *       width/height/viewBox only set the scale, and a non-finite or empty size is
 *       {@link ErrorKind#NO_SCENE}. Embedded images are bounded in pixels. JSVG's
 *       {@link DocumentLimits} bound nesting and the number of drawn instances.</li>
 *   <li><b>Time and CPU</b>: JSVG draws in a child JVM ({@link SvgDrawProcess}), one render at a time
 *       per child. {@link InProcessDrawing} returns {@link ErrorKind#TIMEOUT} at the deadline; the child
 *       checks the deadline before every drawing call ({@link DeadlineOutput}) and answers TIMEOUT
 *       itself when it can, and a child still drawing {@link SvgDrawProcess#KILL_GRACE} after the
 *       deadline is killed (SIGKILL), so no render uses CPU for longer than that past its deadline,
 *       however long one JSVG call would take. A replacement child is started at once.</li>
 *   <li><b>Memory</b>: the child's heap is bounded ({@link SvgDrawProcess#MAX_HEAP}); JSVG sizes a few
 *       offscreen buffers in device space without clipping them to the output (a {@code <pattern>}
 *       tile; a blur's margin), and a buffer the child cannot allocate is {@link ErrorKind#MEMORY_LIMIT}.
 *       A child that ran out of memory is not reused.</li>
 * </ul>
 *
 * <p>Thread-safe: every render has its own child, loader, context and image.
 */
final class SvgRenderer implements Renderer {
    static final String DOMAIN = "svg";
    /** Bump when this class changes how the same document looks (part of the cache key). */
    static final int REVISION = 1;
    /** The JSVG version in render/pom.xml; SvgRendererTest checks it against the jar's manifest. */
    static final String JSVG_BUILT_AGAINST = "2.1.0";
    /** The JSVG version on the class path: from its jar manifest, else (a shaded jar) the above. */
    static final String JSVG_VERSION = jsvgVersion();
    /** Model answers are far smaller; the engine's own input cap is the same. */
    static final int MAX_DOCUMENT_BYTES = 1 << 20;
    /** Pixels of all embedded ({@code data:}) images of one document together: 16 Mpx, 64 MiB decoded. */
    static final long MAX_EMBEDDED_IMAGE_PIXELS = 4096L * 4096L;

    /** Idle children kept warm at most; more renders at a time start more, which end after their render. */
    static final int MAX_IDLE_CHILDREN = Math.max(2, Runtime.getRuntime().availableProcessors());
    /**
     * How long a render waits for a warm child when {@link #MAX_IDLE_CHILDREN} are drawing, before it starts an
     * extra one. Why wait: a new child is a cold JVM, whose first drawings run interpreted (a reward service with 4
     * scoring threads on 2 cores drew in 167 ms instead of 7 ms, every render past the second starting and ending a
     * JVM); a warm child is free again within milliseconds. Why not wait forever: a hostile document may hold a
     * child until its deadline, and the renders behind it must not time out for that.
     */
    static final Duration EXTRA_CHILD_AFTER = Duration.ofMillis(500);

    private final InProcessDrawing drawing = new InProcessDrawing(DOMAIN, MAX_DOCUMENT_BYTES);
    /** Kills children that are still drawing after their deadline and the grace. */
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r ->
            Thread.ofPlatform().daemon().name("svg-draw-deadlines").unstarted(r));
    private final Deque<SvgDrawProcess> idle = new ArrayDeque<>();  // guarded by itself
    /** Renders holding a child (drawing, or waiting for their new child to start); guarded by {@link #idle}. */
    private int holding;
    private final Set<SvgDrawProcess> running = ConcurrentHashMap.newKeySet();
    private final AtomicInteger childrenStarted = new AtomicInteger();
    private volatile boolean closed;

    SvgRenderer() {
    }

    private static String jsvgVersion() {
        // In the shaded jar the package reports the jar's own manifest (RenderLoop's version): only
        // a manifest titled "jsvg" speaks for JSVG.
        Package p = SVGDocument.class.getPackage();
        String v = p.getImplementationVersion();
        return v != null && "jsvg".equals(p.getImplementationTitle()) ? v : JSVG_BUILT_AGAINST;
    }

    /** Child JVMs started so far (a replacement for a killed one counts). */
    int childrenStarted() {
        return childrenStarted.get();
    }

    /**
     * Process ids of the children: the idle ones first, in the order the next renders take them, then
     * those drawing. For tests that watch their CPU.
     */
    List<Long> childPids() {
        List<Long> pids = new ArrayList<>();
        synchronized (idle) {
            idle.forEach(p -> pids.add(p.pid()));
        }
        running.forEach(p -> pids.add(p.pid()));
        return pids;
    }

    @Override
    public String domain() {
        return DOMAIN;
    }

    @Override
    public Availability availability() {
        return Availability.yes("JSVG " + JSVG_VERSION + " (" + SvgDrawProcess.confinement().description() + ", killed at the deadline)");
    }

    @Override
    public String version() {
        // Java2D rasterises (and lays out text), so the JDK is part of what the pixels depend on.
        return "jsvg:" + JSVG_VERSION + "|svg-renderer:" + REVISION + "|java:" + Runtime.version();
    }

    @Override
    public RenderResult render(RenderRequest request, Path outputDir) {
        return drawing.render(request, outputDir, this::drawInChild);
    }

    /** One render on a warm (or new) child, killed if it has not answered by the deadline and the grace. */
    private InProcessDrawing.Drawn drawInChild(String code, RenderSettings settings, long deadlineNanos) {
        SvgDrawProcess child;
        try {
            child = borrow();
        } catch (IOException e) {
            return InProcessDrawing.Drawn.failure(ErrorKind.RENDERER_UNAVAILABLE,
                    "the SVG drawing process could not be started: " + e.getMessage());
        }
        InProcessDrawing.Drawn drawn = null;
        try {
            ScheduledFuture<?> kill;
            try {
                kill = deadlines.schedule(child::kill, deadlineNanos + SvgDrawProcess.KILL_GRACE.toNanos() - System.nanoTime(),
                        TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException e) {
                return InProcessDrawing.Drawn.failure(ErrorKind.RENDERER_UNAVAILABLE, "the svg renderer is closed");
            }
            try {
                drawn = child.draw(code, settings, deadlineNanos);
                return drawn;
            } finally {
                kill.cancel(false);
            }
        } finally {
            running.remove(child);
            boolean reusable = drawn != null && child.alive() && drawn.errorKind() != ErrorKind.MEMORY_LIMIT
                    && drawn.errorKind() != ErrorKind.RENDERER_CRASHED;
            boolean kept = false;
            synchronized (idle) {
                // One step, so that a waiting render sees either this child idle or a free place, never neither.
                holding--;
                if (reusable && !closed && idle.size() < MAX_IDLE_CHILDREN) {
                    idle.addFirst(child);  // most recently used first: its JIT-compiled code is warmest
                    kept = true;
                }
                idle.notifyAll();
            }
            if (!reusable) {
                child.kill();
                replaceInBackground();
            } else if (!kept) {
                child.close();
            }
        }
    }

    /**
     * A warm child for one render, counted in {@link #holding} until the render gives it back. When
     * {@link #MAX_IDLE_CHILDREN} are drawing (or starting), waits up to {@link #EXTRA_CHILD_AFTER} for one to be
     * given back before starting an extra child.
     */
    private SvgDrawProcess borrow() throws IOException {
        SvgDrawProcess child;
        synchronized (idle) {
            long waitUntil = System.nanoTime() + EXTRA_CHILD_AFTER.toNanos();
            while (true) {
                if (closed) {
                    throw new IOException("the svg renderer is closed");
                }
                child = pollAlive();
                long left = waitUntil - System.nanoTime();
                if (child != null || holding < MAX_IDLE_CHILDREN || left <= 0) {
                    break;
                }
                try {
                    TimeUnit.NANOSECONDS.timedWait(idle, left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while waiting for an SVG drawing process");
                }
            }
            holding++;  // counted before a new child starts, so that renders arriving meanwhile wait for it
        }
        if (child == null) {
            try {
                child = SvgDrawProcess.start();
            } catch (IOException | RuntimeException e) {
                synchronized (idle) {
                    holding--;
                    idle.notifyAll();
                }
                throw e;
            }
            childrenStarted.incrementAndGet();
        }
        running.add(child);
        return child;
    }

    /** The first idle child that is still alive, dead ones dropped; null if none. Holds the lock on {@code idle}. */
    private SvgDrawProcess pollAlive() {
        SvgDrawProcess child = idle.pollFirst();
        while (child != null && !child.alive()) {
            child = idle.pollFirst();
        }
        return child;
    }

    private void giveBack(SvgDrawProcess child) {
        synchronized (idle) {
            if (!closed && idle.size() < MAX_IDLE_CHILDREN) {
                idle.addFirst(child);  // most recently used first: its JIT-compiled code is warmest
                idle.notifyAll();  // a render waiting for a warm child takes it
                return;
            }
        }
        child.close();
    }

    /** A killed child's replacement starts now, so that the next render does not wait for a JVM. */
    private void replaceInBackground() {
        if (closed) {
            return;
        }
        try {
            deadlines.execute(() -> {
                try {
                    SvgDrawProcess fresh = SvgDrawProcess.start();
                    giveBack(fresh);
                    childrenStarted.incrementAndGet();  // after it is idle: a test waits on the count, then draws on it
                } catch (IOException e) {
                    // The next render starts one itself and reports the failure.
                }
            });
        } catch (RejectedExecutionException e) {
            // closed meanwhile
        }
    }

    /** Parses, loads and draws one document, with JSVG's messages as the log; runs in a child JVM ({@link SvgDrawProcess#main}). */
    static InProcessDrawing.Drawn draw(String code, RenderSettings settings, long deadlineNanos) {
        JsvgLog.begin();
        try {
            InProcessDrawing.Drawn drawn = drawDocument(code, settings, deadlineNanos);
            return drawn.withLog(String.join("\n", JsvgLog.messages()));
        } finally {
            JsvgLog.end();
        }
    }

    private static InProcessDrawing.Drawn drawDocument(String code, RenderSettings settings, long deadlineNanos) {
        SvgXml xml = SvgXml.read(code);
        if (!xml.ok()) {
            return InProcessDrawing.Drawn.failure(xml.errorKind(), xml.error());
        }
        EmbeddedImages images = new EmbeddedImages(MAX_EMBEDDED_IMAGE_PIXELS);
        LoaderContext context = LoaderContext.builder()
                .externalResourcePolicy(ResourcePolicy.DENY_EXTERNAL)
                .resourceLoader(images)
                .documentLimits(DocumentLimits.DEFAULT)
                .build();
        // No base URI: relative references have nothing to resolve against.
        SVGDocument document = new SVGLoader().load(xml.input(), null, context);
        if (images.refused() != null) {
            return InProcessDrawing.Drawn.failure(ErrorKind.BAD_INPUT, images.refused());
        }
        if (document == null) {
            // SVGLoader logs the reason and returns null; the log handler caught it for this thread.
            List<String> said = JsvgLog.messages();
            return InProcessDrawing.Drawn.failure(ErrorKind.RUNTIME_ERROR, "JSVG could not load the document"
                    + (said.isEmpty() ? "" : ": " + said.getLast()));
        }
        FloatSize size = document.size();
        if (!(size.width > 0 && size.height > 0 && Float.isFinite(size.width) && Float.isFinite(size.height))) {
            return InProcessDrawing.Drawn.failure(ErrorKind.NO_SCENE, String.format(Locale.ROOT,
                    "the SVG has no drawable area (width %s, height %s); give the <svg> a positive width and "
                            + "height or a viewBox", size.width, size.height));
        }

        int w = settings.width();
        int h = settings.height();
        BufferedImage image = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        DeadlineOutput.Progress progress = new DeadlineOutput.Progress(deadlineNanos);
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
            RenderingHintsUtil.setupSVGRenderingHints(g);
            Output output = new DeadlineOutput((Graphics2D) g.create(), progress);
            try {
                // The viewport is the whole image; JSVG fits the document into it (xMidYMid meet), which
                // keeps the aspect ratio and centres it, leaving the white background as letterbox.
                document.renderWithPlatform(NullPlatformSupport.INSTANCE, output, new ViewBox(0, 0, w, h));
            } finally {
                output.dispose();
            }
        } catch (DeadlineOutput.DeadlinePassed e) {
            return InProcessDrawing.Drawn.failure(ErrorKind.TIMEOUT, "the render passed its deadline");
        } catch (NegativeArraySizeException | OutOfMemoryError e) {
            // An offscreen buffer (pattern tile, mask, filter) whose pixel count overflows or exceeds the heap.
            return InProcessDrawing.Drawn.failure(ErrorKind.MEMORY_LIMIT, "a pattern, mask or filter in this SVG "
                    + "needs an image buffer too large to allocate (" + InProcessDrawing.describe(e) + ")");
        } finally {
            g.dispose();
        }
        // JSVG draws emoji glyphs straight on the Graphics2D, past the counting output: look at the pixels
        // before calling a document empty.
        if (progress.steps() == 0 && blank(image)) {
            return InProcessDrawing.Drawn.failure(ErrorKind.NO_SCENE,
                    "the SVG draws nothing: no visible shape, text or image (is everything inside <defs>, "
                            + "fill=\"none\" without a stroke, or outside the viewBox?)");
        }
        return InProcessDrawing.Drawn.image(image);
    }

    private static boolean blank(BufferedImage image) {
        for (int y = 0; y < image.getHeight(); y++) {
            for (int x = 0; x < image.getWidth(); x++) {
                if ((image.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF) {
                    return false;
                }
            }
        }
        return true;
    }

    @Override
    public void close() {
        closed = true;
        drawing.close();
        deadlines.shutdownNow();
        List<SvgDrawProcess> children;
        synchronized (idle) {
            children = new ArrayList<>(idle);
            idle.clear();
            idle.notifyAll();  // renders waiting for a child see the renderer closed
        }
        children.forEach(SvgDrawProcess::close);
        running.forEach(SvgDrawProcess::kill);
    }

    /**
     * JSVG reports problems (refused URIs, unsupported CSS, why a document failed to load) only through
     * {@code java.util.logging}. Its records are collected per render thread for the result's log and
     * error text, instead of being printed on the console of whoever embeds the engine. Records logged
     * outside a render are dropped.
     */
    static final class JsvgLog extends Handler {
        private static final int MAX_MESSAGES = 50;
        /** Held strongly: java.util.logging forgets the configuration of loggers nobody references. */
        private static final Logger JSVG_LOGGER = Logger.getLogger("com.github.weisj.jsvg");
        private static final ThreadLocal<List<String>> CURRENT = new ThreadLocal<>();

        static {
            JSVG_LOGGER.setUseParentHandlers(false);
            JSVG_LOGGER.setLevel(Level.INFO);
            JSVG_LOGGER.addHandler(new JsvgLog());
        }

        static void begin() {
            CURRENT.set(new ArrayList<>());
        }

        /** The messages of this thread's render so far. */
        static List<String> messages() {
            List<String> m = CURRENT.get();
            return m == null ? List.of() : List.copyOf(m);
        }

        static void end() {
            CURRENT.remove();
        }

        @Override
        public void publish(LogRecord record) {
            List<String> m = CURRENT.get();
            if (m == null || m.size() >= MAX_MESSAGES || !isLoggable(record)) {
                return;
            }
            StringBuilder line = new StringBuilder(record.getLevel().getName()).append(": ")
                    .append(record.getMessage() == null ? "" : record.getMessage().strip());
            if (record.getThrown() != null) {
                // JSVG's own hint to callers ("Note: You can configure this using ...") is not for the SVG's author.
                line.append(" (").append(InProcessDrawing.describe(record.getThrown())
                        .replaceAll("(?s)\\s*Note: You can configure.*", "").strip()).append(')');
            }
            m.add(line.toString());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /**
     * JSVG's Java2D output, counting drawing calls and checking the render's deadline before each one.
     * A subclass rather than a wrapper: JSVG draws some glyphs only when the output is a
     * {@link Graphics2DOutput}.
     */
    static final class DeadlineOutput extends Graphics2DOutput {
        private final Progress progress;

        DeadlineOutput(Graphics2D g, Progress progress) {
            super(g);
            this.progress = progress;
        }

        /** Shared by an output and its children; touched by one render thread only. */
        static final class Progress {
            private final long deadlineNanos;
            private long steps;

            Progress(long deadlineNanos) {
                this.deadlineNanos = deadlineNanos;
            }

            void step() {
                if (System.nanoTime() - deadlineNanos > 0 || Thread.currentThread().isInterrupted()) {
                    throw new DeadlinePassed();
                }
                steps++;
            }

            long steps() {
                return steps;
            }
        }

        /** Unwinds JSVG's render stack once the deadline has passed; carries no stack trace (it is control flow). */
        static final class DeadlinePassed extends RuntimeException {
            private static final long serialVersionUID = 1L;

            DeadlinePassed() {
                super("deadline passed", null, false, false);
            }
        }

        @Override
        public void fillShape(Shape shape) {
            progress.step();
            super.fillShape(shape);
        }

        @Override
        public void drawShape(Shape shape) {
            progress.step();
            super.drawShape(shape);
        }

        @Override
        public void drawImage(BufferedImage image) {
            progress.step();
            super.drawImage(image);
        }

        @Override
        public void drawImage(Image image, ImageObserver observer) {
            progress.step();
            super.drawImage(image, observer);
        }

        @Override
        public void drawImage(Image image, AffineTransform at, ImageObserver observer) {
            progress.step();
            super.drawImage(image, at, observer);
        }

        @Override
        public Output createChild() {
            return new DeadlineOutput((Graphics2D) graphics().create(), progress);
        }
    }

    /**
     * JSVG's resource loader for {@code <image>}: decodes {@code data:} URIs (PNG, JPEG, GIF, BMP) in
     * memory and nothing else; every other URI yields no image. Image headers are read before pixels,
     * so an embedded decompression bomb is refused without being decoded. One instance per document.
     */
    static final class EmbeddedImages implements ResourceLoader {
        private static final Set<String> FORMATS = Set.of("image/png", "image/jpeg", "image/jpg", "image/gif", "image/bmp");
        private long pixelsLeft;
        private volatile String refused;

        EmbeddedImages(long maxPixels) {
            this.pixelsLeft = maxPixels;
        }

        /** Why an embedded image was refused for its size, or null. */
        String refused() {
            return refused;
        }

        @Override
        public ResourceSupplier<RenderableResource> loadImage(DomDocument document, URI uri) throws IOException {
            if (!"data".equalsIgnoreCase(uri.getScheme())) {
                return null;  // defence in depth: the policy already refused it; never open a URL or a file
            }
            String spec = uri.getRawSchemeSpecificPart();
            int comma = spec == null ? -1 : spec.indexOf(',');
            if (comma < 0) {
                throw new IOException("malformed data: URI");
            }
            String header = spec.substring(0, comma).toLowerCase(Locale.ROOT);
            String mime = header.split(";", 2)[0].strip();
            if (!FORMATS.contains(mime)) {
                throw new IOException("embedded images must be PNG, JPEG, GIF or BMP, not " + mime);
            }
            String payload = spec.substring(comma + 1);
            byte[] bytes;
            try {
                bytes = header.endsWith(";base64") ? Base64.getMimeDecoder().decode(payload) : percentDecoded(payload);
            } catch (IllegalArgumentException e) {
                throw new IOException("malformed data: URI payload: " + e.getMessage(), e);
            }
            BufferedImage image = decode(bytes);
            return image == null ? null : new ValueResourceSupplier<>(new ImageResource(image));
        }

        /** RFC 2397 data: percent-encoding ({@code %41} is a byte; unlike form encoding, '+' is itself). */
        static byte[] percentDecoded(String payload) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(payload.length());
            for (int i = 0; i < payload.length(); i++) {
                char c = payload.charAt(i);
                if (c == '%') {
                    if (i + 2 >= payload.length()) {
                        throw new IllegalArgumentException("truncated escape at " + i);
                    }
                    out.write(HexFormat.fromHexDigits(payload, i + 1, i + 3));
                    i += 2;
                } else {
                    out.write(c);
                }
            }
            return out.toByteArray();
        }

        private synchronized BufferedImage decode(byte[] bytes) throws IOException {
            // An in-memory stream: ImageIO's default stream for an InputStream may cache to a temp file.
            try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
                Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
                if (!readers.hasNext()) {
                    return null;
                }
                ImageReader reader = readers.next();
                try {
                    reader.setInput(in, true, true);
                    long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
                    if (pixels > pixelsLeft) {
                        refused = String.format(Locale.ROOT, "an embedded image is %dx%d pixels; embedded images "
                                        + "may have %,d pixels in all", reader.getWidth(0), reader.getHeight(0),
                                MAX_EMBEDDED_IMAGE_PIXELS);
                        return null;
                    }
                    pixelsLeft -= pixels;
                    return reader.read(0);
                } finally {
                    reader.dispose();
                }
            }
        }
    }
}
