package dev.renderloop.policy;

import dev.renderloop.task.Task;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.lucene.analysis.Analyzer;
import org.apache.lucene.analysis.TokenStream;
import org.apache.lucene.analysis.en.EnglishAnalyzer;
import org.apache.lucene.analysis.tokenattributes.CharTermAttribute;
import org.apache.lucene.document.Document;
import org.apache.lucene.document.Field;
import org.apache.lucene.document.StoredField;
import org.apache.lucene.document.StringField;
import org.apache.lucene.document.TextField;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.BooleanClause;
import org.apache.lucene.search.BooleanQuery;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.store.ByteBuffersDirectory;

/**
 * The retrieval baseline: answers with the reference code of the nearest training task of the same domain,
 * never the task itself. Text tasks are matched by BM25 over descriptions (Lucene, English analysis);
 * tasks with only a target image by the distance of 16x16 colour thumbnails.
 *
 * <p>A repair request is answered with the next-nearest task (rank = assistant turns so far), so the repair
 * loop sees a different program each round. Critiques are not supported.
 */
final class RetrievalPolicy implements Policy {
    private static final int THUMB = 16;

    private final Analyzer analyzer = new EnglishAnalyzer();
    private final IndexSearcher searcher;
    private final DirectoryReader reader;
    private final List<Task> corpus;
    private final Map<String, float[]> thumbnails = new LinkedHashMap<>();

    RetrievalPolicy(List<Task> corpus) {
        this.corpus = List.copyOf(corpus);
        if (this.corpus.isEmpty()) {
            throw new IllegalArgumentException("the retrieval baseline needs a non-empty training corpus");
        }
        ByteBuffersDirectory dir = new ByteBuffersDirectory();
        try (IndexWriter writer = new IndexWriter(dir, new IndexWriterConfig(analyzer))) {
            for (int i = 0; i < this.corpus.size(); i++) {
                Task t = this.corpus.get(i);
                Document doc = new Document();
                doc.add(new StringField("domain", t.domain(), Field.Store.NO));
                doc.add(new TextField("description", t.description(), Field.Store.NO));
                doc.add(new StoredField("index", i));
                writer.addDocument(doc);
            }
            writer.commit();
            reader = DirectoryReader.open(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot index the retrieval corpus", e);
        }
        searcher = new IndexSearcher(reader);
        for (Task t : this.corpus) {
            if (t.target() != null && t.target().exists()) {
                thumbnails.put(t.id(), thumbnail(t.target().bytes()));
            }
        }
    }

    @Override
    public String name() {
        return "retrieval";
    }

    @Override
    public boolean baseline() {
        return true;
    }

    /** One ranked neighbour. */
    private record Hit(Task task, double score, String how) {
    }

    @Override
    public PolicyResponse respond(PolicyRequest request) {
        long start = System.nanoTime();
        if (request.purpose() == Purpose.CRITIQUE) {
            return PolicyResponse.failure(PolicyErrorKind.UNSUPPORTED, "retrieval cannot critique renders", Usage.NONE, 0, 1);
        }
        Task task = request.task();
        List<Hit> hits;
        try {
            hits = rank(task);
        } catch (IOException e) {
            return PolicyResponse.failure(PolicyErrorKind.UNSUPPORTED, "retrieval failed: " + e.getMessage(), Usage.NONE, 0, 1);
        }
        if (hits.isEmpty()) {
            return PolicyResponse.failure(PolicyErrorKind.UNSUPPORTED, "no training task of domain " + task.domain()
                    + " matches task " + task.id() + " (no description terms in common and no comparable target image)", Usage.NONE, 0, 1);
        }
        int skip = (int) request.conversation().messages().stream().filter(m -> m.role() == Role.ASSISTANT).count();
        List<Candidate> out = new ArrayList<>();
        for (int i = 0; i < request.n(); i++) {
            Hit h = hits.get((skip + i) % hits.size());
            out.add(Candidate.ofText(CodeFences.wrap(task.domain(), h.task().code()),
                    String.format(java.util.Locale.ROOT, "retrieved %s (%s %.4f)", h.task().id(), h.how(), h.score())));
        }
        return PolicyResponse.of(out, Usage.NONE, (System.nanoTime() - start) / 1_000_000, 1);
    }

    private List<Hit> rank(Task task) throws IOException {
        List<Hit> hits = new ArrayList<>();
        BooleanQuery.Builder terms = new BooleanQuery.Builder();
        int termCount = 0;
        try (TokenStream ts = analyzer.tokenStream("description", task.description())) {
            CharTermAttribute term = ts.addAttribute(CharTermAttribute.class);
            ts.reset();
            while (ts.incrementToken()) {
                terms.add(new TermQuery(new Term("description", term.toString())), BooleanClause.Occur.SHOULD);
                termCount++;
            }
            ts.end();
        }
        if (termCount > 0) {
            BooleanQuery query = new BooleanQuery.Builder()
                    .add(terms.build(), BooleanClause.Occur.MUST)
                    .add(new TermQuery(new Term("domain", task.domain())), BooleanClause.Occur.FILTER)
                    .build();
            for (ScoreDoc sd : searcher.search(query, 50).scoreDocs) {
                Task t = corpus.get(searcher.storedFields().document(sd.doc).getField("index").numericValue().intValue());
                if (!t.id().equals(task.id())) {
                    hits.add(new Hit(t, sd.score, "bm25"));
                }
            }
        }
        if (hits.isEmpty() && task.target() != null && task.target().exists()) {
            float[] query = thumbnail(task.target().bytes());
            for (Task t : corpus) {
                float[] other = thumbnails.get(t.id());
                if (other != null && t.domain().equals(task.domain()) && !t.id().equals(task.id())) {
                    hits.add(new Hit(t, distance(query, other), "thumbnail-l2"));
                }
            }
            hits.sort(Comparator.comparingDouble(Hit::score));
        }
        return hits;
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            s += d * d;
        }
        return Math.sqrt(s);
    }

    /** A 16x16 RGB thumbnail in [0, 1], smoothly downscaled, as a flat vector. */
    static float[] thumbnail(byte[] png) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(png));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (image == null) {
            throw new IllegalArgumentException("target image is not a readable image");
        }
        BufferedImage small = new BufferedImage(THUMB, THUMB, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = small.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setColor(java.awt.Color.WHITE);
        g.fillRect(0, 0, THUMB, THUMB);
        g.drawImage(image.getScaledInstance(THUMB, THUMB, java.awt.Image.SCALE_AREA_AVERAGING), 0, 0, null);
        g.dispose();
        float[] v = new float[THUMB * THUMB * 3];
        for (int y = 0; y < THUMB; y++) {
            for (int x = 0; x < THUMB; x++) {
                int p = small.getRGB(x, y);
                int i = (y * THUMB + x) * 3;
                v[i] = ((p >> 16) & 0xFF) / 255f;
                v[i + 1] = ((p >> 8) & 0xFF) / 255f;
                v[i + 2] = (p & 0xFF) / 255f;
            }
        }
        return v;
    }

    @Override
    public void close() {
        try {
            reader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
