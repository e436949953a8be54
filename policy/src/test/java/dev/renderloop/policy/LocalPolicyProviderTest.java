package dev.renderloop.policy;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LocalPolicyProviderTest {
    @Test
    void withoutAProviderOnTheClassPathALocalSpecIsRefusedSayingWhatIsMissing() {
        // the policy module's own class path has no in-process model (the CLI registers one)
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Policies.create("local:/models/qwen", null, 1, Duration.ofSeconds(1)));
        assertTrue(e.getMessage().contains("no in-process model on the class path"), e.getMessage());
        assertTrue(e.getMessage().contains("local:/models/qwen"), e.getMessage());
    }
}
