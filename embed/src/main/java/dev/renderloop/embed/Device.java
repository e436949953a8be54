package dev.renderloop.embed;

/**
 * Where ONNX Runtime runs an embedding model.
 *
 * <p>The Maven artifact this module depends on ({@code com.microsoft.onnxruntime:onnxruntime}) is the CPU
 * build; CUDA needs the {@code onnxruntime_gpu} artifact on the class path instead, plus CUDA and cuDNN on the
 * machine.
 */
public enum Device {
    /** ONNX Runtime's CPU execution provider. */
    CPU,
    /** The CUDA execution provider on GPU 0; opening a model fails when this ONNX Runtime build or machine lacks it. */
    CUDA,
    /** CUDA when this ONNX Runtime build offers it and it starts, else CPU; {@link Placement} says which was used and why. */
    AUTO
}
