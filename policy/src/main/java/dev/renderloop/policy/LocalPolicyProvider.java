package dev.renderloop.policy;

import java.nio.file.Path;

/**
 * Opens {@code local:MODEL_DIR[+ADAPTER_DIR]} policies: a model run in this JVM. The policy module does not contain
 * one (that would put the model runtime, libtorch included, under every user of the policy API); a module that
 * does registers an implementation with {@link java.util.ServiceLoader} ({@code META-INF/services}), and
 * {@link Policies#create} uses the first one found. The renderloop CLI registers the in-process decoder.
 */
public interface LocalPolicyProvider {
    /**
     * A policy backed by the model in {@code modelDir}, with the LoRA adapter in {@code adapterDir} if not null.
     *
     * @param spec the spec string, for the policy's {@link Policy#name()}
     * @throws IllegalArgumentException when the directories cannot be loaded, naming the file at fault
     */
    Policy open(String spec, Path modelDir, Path adapterDir);
}
