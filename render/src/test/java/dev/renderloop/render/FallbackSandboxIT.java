package dev.renderloop.render;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The hostile corpus under the fallback sandbox (bubblewrap disabled): what a machine without
 * bubblewrap, or with user namespaces blocked for it, still gets.
 */
class FallbackSandboxIT extends HostileProgramsSuite {
    @Override
    RenderEngine newEngine() {
        return RenderEngine.builder().noCache().workers(2).withoutBubblewrap().build();
    }

    @Test
    void description_saysWhatIsMissing() {
        assertTrue(engine.sandboxDescription().startsWith("bubblewrap disabled"), engine.sandboxDescription());
    }
}
