package dev.renderloop.data;

/** File-name-safe forms of source names and program ids. */
final class FileNames {
    private FileNames() {
    }

    /**
     * {@code [A-Za-z0-9._-]} kept, anything else as '_'; when that changed the name, the first 8 hex digits of its
     * SHA-256 are appended, so two ids that differ only in unsafe characters still get two files. Never starts with a dot.
     */
    static String safe(String name) {
        String s = name.replaceAll("[^A-Za-z0-9._-]", "_");
        if (s.startsWith(".")) {
            s = "_" + s.substring(1);
        }
        if (s.length() > 80) {
            s = s.substring(0, 80);
        }
        return s.equals(name) ? s : s + "-" + Dedup.sha256(name).substring(0, 8);
    }
}
