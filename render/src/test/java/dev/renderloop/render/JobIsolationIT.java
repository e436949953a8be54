package dev.renderloop.render;

import java.time.Duration;
import java.util.List;

/** {@link JobIsolationSuite} for matplotlib: the Python attack families in one warm matplotlib worker. */
class JobIsolationIT extends JobIsolationSuite.Python {
    static final RenderSettings LIMITS = RenderSettings.MATPLOTLIB_DEFAULTS
            .withTimeout(Duration.ofSeconds(8)).withMemoryBytes(1L << 30).withMaxFileBytes(32L << 20)
            .withMaxOutputBytes(64L << 20);
    /** The benign job reads every place an earlier job could have written, and draws what it found. */
    static final String BENIGN = pythonProbe() + String.join("\n",
            "import matplotlib.pyplot as plt",
            "fig, ax = plt.subplots()",
            "ax.plot([0, 1, 2], [0, 1, 4])",
            "ax.set_title('found: %s' % found)",
            "plt.savefig('out.png')", "");

    JobIsolationIT() {
        super("matplotlib", LIMITS);
    }

    @Override
    List<String> benign() {
        return List.of(BENIGN);
    }
}
