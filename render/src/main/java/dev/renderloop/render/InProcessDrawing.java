package dev.renderloop.render;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The shared contract of the still-image renderers driven from this JVM (SMILES in this JVM; SVG in
 * child JVMs that {@link SvgRenderer} kills at the deadline, its drawing task only waiting on one): an
 * input size cap, a wall-clock bound, one PNG frame of the requested size, and every failure as a
 * classified result.
 *
 * <h2>Design</h2>
 * Model-written input is drawn by library code (JSVG, CDK) that cannot be killed the way a worker
 * process can. Each render therefore runs as a task on a <b>daemon</b> thread and the caller waits at
 * most {@link RenderSettings#timeout()}. When the time passes the caller returns {@link ErrorKind#TIMEOUT}
 * and abandons the task: the thread is interrupted and the task is told its deadline (drawings check
 * it where the library lets them, see {@link Drawing}), but a library call that ignores both runs on
 * until it returns. Its result is discarded and, being a daemon, it never keeps the JVM alive. The
 * task only draws into memory; the PNG is written by the caller after the task returned in time, so an
 * abandoned task never writes into an output directory the engine has since reused or deleted.
 *
 * <p>Memory: the image a drawing returns is of the output size; buffers the library makes on the way
 * are its own business, and an allocation among them that fails ({@link OutOfMemoryError} on one huge
 * array fails without having taken the memory) is reported as {@link ErrorKind#MEMORY_LIMIT}.
 *
 * <p>Thread-safe; {@link #close()} stops accepting renders.
 */
final class InProcessDrawing implements AutoCloseable {
    /** The one frame a still drawing produces, under {@code outputDir/frames/}. */
    static final String FRAME_NAME = "frame_00000.png";
    /** Error texts are for a model's repair prompt: the first lines of a library message are enough. */
    private static final int MAX_ERROR_CHARS = 500;
    /** The result's log keeps the last this many characters of the library's messages. */
    private static final int MAX_LOG_CHARS = 4000;

    private final String domain;
    private final int maxInputBytes;
    private final ExecutorService threads;

    /**
     * Draws one input into an image. Called on a render thread; must not write files.
     */
    @FunctionalInterface
    interface Drawing {
        /**
         * @param code          the input, already checked for size, NUL bytes and blankness
         * @param settings      the request's settings (output size, timeout)
         * @param deadlineNanos {@link System#nanoTime()} value after which the result will be discarded;
         *                      drawings that can stop between steps should stop then
         * @return the image (exactly {@code settings.width() x settings.height()}) or a classified failure
         * @throws Exception anything unexpected; reported as {@link ErrorKind#RUNTIME_ERROR}
         */
        Drawn draw(String code, RenderSettings settings, long deadlineNanos) throws Exception;
    }

    /**
     * What a drawing produced: an image (or the PNG file of one, when the drawing ran in another process that
     * encoded it), or a failure with its kind and a short message; and what the library reported on the way
     * (warnings), for the result's log.
     *
     * @param image     the drawn image, null on failure or when {@code png} is given
     * @param png       the drawn image as an opaque 8-bit RGB PNG file, null on failure or when {@code image} is given
     * @param errorKind null on success
     * @param error     what went wrong, empty on success
     * @param log       the library's messages, possibly empty
     */
    record Drawn(BufferedImage image, byte[] png, ErrorKind errorKind, String error, String log) {
        Drawn {
            int set = (image == null ? 0 : 1) + (png == null ? 0 : 1) + (errorKind == null ? 0 : 1);
            if (set != 1) {
                throw new IllegalArgumentException("exactly one of image, png and errorKind must be set");
            }
            error = error == null ? "" : error;
            log = log == null ? "" : log;
        }

        static Drawn image(BufferedImage image) {
            return new Drawn(Objects.requireNonNull(image, "image"), null, null, "", "");
        }

        /** An image already encoded as a PNG file (by {@code PngEncoder}, in the process that drew it). */
        static Drawn png(byte[] png) {
            return new Drawn(null, Objects.requireNonNull(png, "png"), null, "", "");
        }

        static Drawn failure(ErrorKind kind, String error) {
            return new Drawn(null, null, Objects.requireNonNull(kind, "kind"), error, "");
        }

        Drawn withLog(String text) {
            return new Drawn(image, png, errorKind, error, text);
        }
    }

    /**
     * @param domain        the domain reported in results
     * @param maxInputBytes inputs larger than this (UTF-8) are {@link ErrorKind#BAD_INPUT}
     */
    InProcessDrawing(String domain, int maxInputBytes) {
        this.domain = Objects.requireNonNull(domain, "domain");
        if (maxInputBytes < 1) {
            throw new IllegalArgumentException("maxInputBytes must be >= 1, got " + maxInputBytes);
        }
        this.maxInputBytes = maxInputBytes;
        this.threads = Executors.newCachedThreadPool(daemonThreads(domain + "-render-"));
    }

    private static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return task -> {
            Thread t = new Thread(task, prefix + count.incrementAndGet());
            // An abandoned (timed-out) drawing must never keep the JVM alive.
            t.setDaemon(true);
            return t;
        };
    }

    /**
     * Runs {@code drawing} for {@code request} and writes its image to
     * {@code outputDir/frames/frame_00000.png}. Never throws for anything the input does.
     *
     * @throws IllegalArgumentException if the request is for another domain
     */
    RenderResult render(RenderRequest request, Path outputDir, Drawing drawing) {
        Objects.requireNonNull(request, "request");
        Objects.requireNonNull(outputDir, "outputDir");
        Objects.requireNonNull(drawing, "drawing");
        if (!request.domain().equals(domain)) {
            throw new IllegalArgumentException("this renderer draws '" + domain + "', not '" + request.domain() + "'");
        }
        long start = System.nanoTime();
        String code = request.code();
        if (code.isBlank()) {
            return failure(ErrorKind.NO_CODE, "no code to render: the program is empty", start);
        }
        SourceText text = SourceText.check(code, maxInputBytes);
        if (!text.ok()) {
            return failure(ErrorKind.BAD_INPUT, text.problem(), start);
        }
        RenderSettings settings = request.settings();
        long deadline = start + settings.timeout().toNanos();
        Future<Drawn> task;
        try {
            task = threads.submit(() -> drawing.draw(code, settings, deadline));
        } catch (RejectedExecutionException e) {
            return failure(ErrorKind.RENDERER_UNAVAILABLE, "the " + domain + " renderer is closed", start);
        }
        Drawn drawn;
        try {
            drawn = task.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            task.cancel(true);
            return failure(ErrorKind.TIMEOUT, "the render did not finish within " + describe(settings.timeout())
                    + "; it was abandoned", start);
        } catch (ExecutionException e) {
            return thrown(e.getCause(), start);
        } catch (CancellationException e) {
            return failure(ErrorKind.RENDERER_CRASHED, "the render was cancelled", start);
        } catch (InterruptedException e) {
            task.cancel(true);
            Thread.currentThread().interrupt();
            return failure(ErrorKind.RENDERER_CRASHED, "interrupted while waiting for the render", start);
        }
        long renderMillis = millisSince(start);
        String log = tail(drawn.log());
        if (drawn.errorKind() != null) {
            return new RenderResult(domain, drawn.errorKind(), shorten(drawn.error()), List.of(), null, null, null,
                    millisSince(start), renderMillis, false, log);
        }
        BufferedImage image = drawn.image();
        int[] drawnSize = image != null ? new int[] {image.getWidth(), image.getHeight()} : PngEncoder.size(drawn.png());
        if (drawnSize == null || drawnSize[0] != settings.width() || drawnSize[1] != settings.height()) {
            // A drawing bug, not the input's fault: say so rather than hand out a wrong-sized frame.
            return failure(ErrorKind.RENDERER_CRASHED, drawnSize == null ? "the drawing process sent something that is not a PNG"
                    : String.format("the drawing is %dx%d, not the requested %dx%d", drawnSize[0], drawnSize[1],
                    settings.width(), settings.height()), start);
        }
        try {
            Path frames = Files.createDirectories(outputDir.resolve("frames"));
            Path frame = frames.resolve(FRAME_NAME);
            if (image != null) {
                PngEncoder.write(image, frame);
            } else {
                Files.write(frame, drawn.png());
            }
            long size = Files.size(frame);
            if (size > settings.maxOutputBytes()) {
                return failure(ErrorKind.OUTPUT_TOO_LARGE, String.format(
                        "the frame is %,d bytes; the limit is %,d bytes", size, settings.maxOutputBytes()), start);
            }
            return new RenderResult(domain, null, "", List.of(frame), frame, frame, null, millisSince(start),
                    renderMillis, false, log);
        } catch (IOException e) {
            return failure(ErrorKind.RENDERER_CRASHED, "the frame could not be written: " + e.getMessage(), start);
        }
    }

    /** Classifies what a drawing threw instead of returning. */
    private RenderResult thrown(Throwable cause, long start) {
        return switch (cause) {
            case OutOfMemoryError e -> failure(ErrorKind.MEMORY_LIMIT,
                    "the render ran out of memory (" + e.getMessage() + ")", start);
            case StackOverflowError e -> failure(ErrorKind.RUNTIME_ERROR,
                    "the input is nested too deeply to draw (stack overflow)", start);
            case null -> failure(ErrorKind.RUNTIME_ERROR, "the render failed without a reason", start);
            default -> failure(ErrorKind.RUNTIME_ERROR, describe(cause), start);
        };
    }

    /** "IllegalStateException: message", without a stack trace: the input's author cannot use one. */
    static String describe(Throwable t) {
        String message = t.getMessage();
        return t.getClass().getSimpleName() + (message == null || message.isBlank() ? "" : ": " + message);
    }

    private static String describe(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    static String shorten(String error) {
        String s = error.strip();
        return s.length() <= MAX_ERROR_CHARS ? s : s.substring(0, MAX_ERROR_CHARS) + " ...";
    }

    private static String tail(String log) {
        return log.length() <= MAX_LOG_CHARS ? log : "...\n" + log.substring(log.length() - MAX_LOG_CHARS);
    }

    private RenderResult failure(ErrorKind kind, String error, long start) {
        return RenderResult.failure(domain, kind, shorten(error), millisSince(start));
    }

    private static long millisSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /** Stops accepting renders; drawings in flight finish (or are abandoned) on their own. Idempotent. */
    @Override
    public void close() {
        threads.shutdownNow();
    }
}
