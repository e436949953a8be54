package dev.renderloop.render;

import java.time.Duration;
import java.util.List;

/** {@link JobIsolationSuite} for rdkit: the Python attack families in one warm rdkit worker. */
class RdkitJobIsolationIT extends JobIsolationSuite.Python {
    static final RenderSettings LIMITS = RenderSettings.defaultsFor("rdkit")
            .withTimeout(Duration.ofSeconds(8)).withMemoryBytes(1L << 30).withMaxFileBytes(32L << 20)
            .withMaxOutputBytes(64L << 20);

    RdkitJobIsolationIT() {
        super("rdkit", LIMITS);
    }

    @Override
    List<String> benign() {
        // Anything found lengthens the chain, so the drawn molecule changes.
        return List.of(pythonProbe() + String.join("\n",
                "from rdkit import Chem",
                "from rdkit.Chem import Draw",
                "Draw.MolToImage(Chem.MolFromSmiles('c1ccccc1CC(=O)O' + 'C' * len(found)))", ""));
    }
}
