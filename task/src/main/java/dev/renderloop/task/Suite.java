package dev.renderloop.task;

import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A named, ordered list of tasks with unique ids.
 *
 * @param name  e.g. {@code bundled:svg} or a file name
 * @param tasks in a fixed order
 */
public record Suite(String name, List<Task> tasks) {
    public Suite {
        Objects.requireNonNull(name, "name");
        tasks = List.copyOf(tasks);
        Set<String> ids = new HashSet<>();
        for (Task t : tasks) {
            if (!ids.add(t.id())) {
                throw new IllegalArgumentException("suite " + name + " has the task id " + t.id() + " twice");
            }
        }
    }

    public int size() {
        return tasks.size();
    }
}
