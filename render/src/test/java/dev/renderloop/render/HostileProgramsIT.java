package dev.renderloop.render;

/** The hostile corpus under the strongest sandbox this machine offers (bubblewrap where usable). */
class HostileProgramsIT extends HostileProgramsSuite {
    @Override
    RenderEngine newEngine() {
        return TestEngines.plain(2);
    }
}
