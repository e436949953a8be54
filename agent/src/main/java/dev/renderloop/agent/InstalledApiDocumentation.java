package dev.renderloop.agent;

import dev.renderloop.render.InstalledApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.core.KeywordAnalyzer;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StringField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.BoostQuery;
import org.apache.lucene.search.FuzzyQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;

/**
 * RITL-DOC's documentation from the installed package, plus what the paper lacks: for each name that does not
 * resolve, the closest real names from a Lucene index of the package's public API (fuzzy match on the whole
 * name, and match on five-letter prefixes of its camel-case and snake-case words, where rare words weigh
 * more, rarity counted among the names searched: top-level ones for a top-level name), e.g. a hallucinated
 * {@code ShowCreation} gets {@code Create}.
 *
 * <p>The index is built once per package version and kept on disk under {@code indexRoot/PACKAGE-VERSION-FORMAT}.
 */
public final class InstalledApiDocumentation implements ApiDocumentation, AutoCloseable {
    private static final int SUGGESTIONS = 3;
    /** Part of the index folder's name: a change of fields must not read an index built by an older build. */
    private static final String INDEX_FORMAT = "i3";

    private final InstalledApi api;
    private final String version;
    private final Analyzer analyzer = new KeywordAnalyzer();
    private final DirectoryReader reader;
    private final IndexSearcher searcher;

    /**
     * Opens (building on first use) the suggestion index of {@code api}'s package.
     *
     * @throws IllegalStateException when the package is not installed for the workers
     */
    public InstalledApiDocumentation(InstalledApi api, Path indexRoot) throws IOException {
        this.api = api;
        String v = api.version();
        if (v.startsWith("unavailable")) {
            throw new IllegalStateException(api.packageName() + " is " + v);
        }
        this.version = v;
        Path dir = indexRoot.resolve(api.packageName() + "-" + v.replaceAll("[^A-Za-z0-9._+-]", "_") + "-" + INDEX_FORMAT);
        if (!Files.isRegularFile(dir.resolve("complete"))) {
            build(dir, api.names());
        }
        Directory directory = FSDirectory.open(dir.resolve("index"));
        this.reader = DirectoryReader.open(directory);
        this.searcher = new IndexSearcher(reader);
    }

    /** Builds into a temporary folder and renames it into place, so a reader never sees half an index. */
    private void build(Path dir, List<String> names) throws IOException {
        Files.createDirectories(dir.getParent());
        Path tmp = Files.createTempDirectory(dir.getParent(), dir.getFileName() + ".building-");
        try (Directory d = FSDirectory.open(tmp.resolve("index"));
             IndexWriter writer = new IndexWriter(d, new IndexWriterConfig(analyzer))) {
            for (String name : names) {
                Document doc = new Document();
                doc.add(new StringField("name", name, Field.Store.YES));
                doc.add(new StringField("leaf", leaf(name).toLowerCase(Locale.ROOT), Field.Store.NO));
                doc.add(new StringField("level", name.contains(".") ? "member" : "top", Field.Store.NO));
                for (String prefix : prefixes(name)) {
                    doc.add(new StringField("prefix", prefix, Field.Store.NO));
                    if (!name.contains(".")) {
                        // Rarity among top-level names, the only ones a top-level name is matched against:
                        // "creat" is rare there and common among methods (create_* helpers), "show" the other
                        // way round, so ShowCreation's suggestions are weighed where they are searched.
                        doc.add(new StringField("top_prefix", prefix, Field.Store.NO));
                    }
                }
                writer.addDocument(doc);
            }
        }
        Files.writeString(tmp.resolve("complete"), names.size() + " names\n", StandardCharsets.UTF_8);
        try {
            Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            if (!Files.isRegularFile(dir.resolve("complete"))) {
                throw e;
            }
            // Another process built it first: use theirs.
            try (var walk = Files.walk(tmp)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static String leaf(String name) {
        return name.substring(name.lastIndexOf('.') + 1);
    }

    /** {@code ShowCreation} -> "show creation", {@code set_color} -> "set color". */
    static String words(String name) {
        return leaf(name).replaceAll("([a-z0-9])([A-Z])", "$1 $2").replaceAll("([A-Z]+)([A-Z][a-z])", "$1 $2").replace('_', ' ');
    }

    /**
     * Five-letter prefixes of the words: the stemmer keeps "creation" and "create" apart ("creation", "creat"),
     * their prefixes meet.
     */
    static List<String> prefixes(String name) {
        List<String> out = new ArrayList<>();
        for (String w : words(name).toLowerCase(Locale.ROOT).split("\\s+")) {
            if (w.length() >= 4) {
                out.add(w.substring(0, Math.min(5, w.length())));
            }
        }
        return out;
    }

    @Override
    public String source() {
        return api.packageName() + " " + version;
    }

    @Override
    public List<ApiDoc> lookup(String code) {
        InstalledApi.Lookup lookup = api.lookup(code);
        if (!lookup.ok()) {
            throw new IllegalStateException("API documentation lookup failed: " + lookup.error());
        }
        List<ApiDoc> out = new ArrayList<>();
        for (InstalledApi.Entry e : lookup.entries()) {
            out.add(new ApiDoc(e.name(), e.resolved(), e.signature(), e.doc(), e.resolved() ? List.of() : suggest(e.name())));
        }
        return out;
    }

    /** The closest real names to an unresolved one, best first. */
    public List<String> suggest(String unresolved) {
        String leaf = leaf(unresolved);
        BooleanQuery.Builder q = new BooleanQuery.Builder();
        q.add(new BoostQuery(new FuzzyQuery(new Term("leaf", leaf.toLowerCase(Locale.ROOT)), 2), 2f), BooleanClause.Occur.SHOULD);
        int dot = unresolved.lastIndexOf('.');
        for (String prefix : prefixes(unresolved)) {
            q.add(new TermQuery(new Term(dot < 0 ? "top_prefix" : "prefix", prefix)), BooleanClause.Occur.SHOULD);
        }
        // A method name keeps its class when the class exists: Circle.spin suggests Circle.* first.
        if (dot > 0) {
            q.add(new BoostQuery(new org.apache.lucene.search.PrefixQuery(new Term("name", unresolved.substring(0, dot + 1))), 0.5f),
                    BooleanClause.Occur.SHOULD);
        }
        BooleanQuery.Builder query = new BooleanQuery.Builder().add(q.build(), BooleanClause.Occur.MUST);
        if (dot < 0) {
            // A hallucinated top-level name is best replaced by a top-level name, not by one of thousands of methods.
            query.add(new TermQuery(new Term("level", "top")), BooleanClause.Occur.FILTER);
        }
        Set<String> names = new LinkedHashSet<>();
        try {
            for (ScoreDoc sd : searcher.search(query.build(), SUGGESTIONS).scoreDocs) {
                names.add(searcher.storedFields().document(sd.doc).get("name"));
                if (names.size() == SUGGESTIONS) {
                    break;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return List.copyOf(names);
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }
}
