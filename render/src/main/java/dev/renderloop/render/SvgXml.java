package dev.renderloop.render;

import com.github.weisj.jsvg.parser.DocumentLimits;
import com.github.weisj.jsvg.parser.XMLInput;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.xml.XMLConstants;
import javax.xml.stream.Location;
import javax.xml.stream.XMLEventReader;
import javax.xml.stream.XMLInputFactory;
import javax.xml.stream.XMLStreamConstants;
import javax.xml.stream.XMLStreamException;
import javax.xml.stream.events.DTD;
import javax.xml.stream.events.EntityReference;
import javax.xml.stream.events.StartElement;
import javax.xml.stream.events.XMLEvent;

/**
 * An SVG document read into XML events by a parser of our own configuration, before JSVG sees it.
 *
 * <p>Why not let JSVG parse: its {@code SVGLoader} logs and swallows every parse error (so syntax
 * errors could not be told apart from other failures), and its safe StAX settings come from whichever
 * {@link XMLInputFactory} implementation is on the class path. Here the JDK's own StAX parser is
 * chosen explicitly ({@link XMLInputFactory#newDefaultFactory()}) and locked down:
 * <ul>
 *   <li>{@code SUPPORT_DTD=false}: a DOCTYPE is skipped, never loaded or interpreted, so no external
 *       DTD is fetched and no entity is ever expanded (no XXE, no billion laughs);</li>
 *   <li>{@code IS_SUPPORTING_EXTERNAL_ENTITIES=false}, {@code ACCESS_EXTERNAL_DTD=""} and a resolver
 *       that refuses everything, in case a later parser version consults them anyway;</li>
 *   <li>{@code IS_REPLACING_ENTITY_REFERENCES=false}: an entity reference surfaces as an event, which
 *       is refused below rather than silently rendered as nothing.</li>
 * </ul>
 * A document that declares entities ({@code <!ENTITY} anywhere in the text) is refused outright,
 * before parsing: in an SVG it can only be an attempt at external or recursive entities. A plain {@code <!DOCTYPE svg PUBLIC
 * ...>} line, common in real files, is accepted and ignored. The five predefined entities and
 * character references ({@code &amp;}, {@code &#65;}) are ordinary text and keep working.
 *
 * Elements nested deeper than {@link #MAX_DEPTH} are {@link ErrorKind#BAD_INPUT}.
 *
 * <p>The events are replayed to JSVG through {@link #input()}.
 *
 * @param events    the document's events (DTD events removed), empty on failure
 * @param errorKind null when the document is usable SVG
 * @param error     why not, empty when usable
 */
record SvgXml(List<XMLEvent> events, ErrorKind errorKind, String error) {
    static final String SVG_NAMESPACE = "http://www.w3.org/2000/svg";
    private static final Pattern ENTITY_DECLARATION = Pattern.compile("<!ENTITY", Pattern.CASE_INSENSITIVE);
    /**
     * Deeper element nesting is refused with a clear message. JSVG's own limit
     * ({@link DocumentLimits#DEFAULT_MAX_NESTING_DEPTH} below the root) would otherwise fail the load.
     */
    static final int MAX_DEPTH = DocumentLimits.DEFAULT_MAX_NESTING_DEPTH;
    private static final String ENTITIES_REFUSED = "the document declares XML entities (<!ENTITY ...>); "
            + "DTDs are not processed here, so entity declarations are refused";

    SvgXml {
        events = List.copyOf(events);
        error = error == null ? "" : error;
    }

    boolean ok() {
        return errorKind == null;
    }

    private static SvgXml failure(ErrorKind kind, String error) {
        return new SvgXml(List.of(), kind, error);
    }

    /**
     * Parses {@code text}. Malformed XML and refused DTD features are {@link ErrorKind#SYNTAX_ERROR};
     * well-formed XML whose root is not {@code <svg>} is {@link ErrorKind#NO_SCENE}.
     */
    static SvgXml read(String text) {
        Objects.requireNonNull(text, "text");
        // Checked on the raw text, not only on the parser's DTD event: the JDK's StAX parser reports a
        // DOCTYPE with parameter-entity references garbled when DTD support is off.
        if (ENTITY_DECLARATION.matcher(text).find()) {
            return failure(ErrorKind.SYNTAX_ERROR, ENTITIES_REFUSED);
        }
        List<XMLEvent> events = new ArrayList<>();
        StartElement root = null;
        int depth = 0;
        XMLEventReader reader = null;
        try {
            // Blank lines (or a byte-order mark) before "<?xml" are a parse error in XML, and a common
            // slip in model answers; they carry no meaning, so they are dropped.
            String document = text.stripLeading();
            if (document.startsWith("\uFEFF")) {
                document = document.substring(1).stripLeading();
            }
            reader = secureFactory().createXMLEventReader(new StringReader(document));
            while (reader.hasNext()) {
                XMLEvent event = reader.nextEvent();
                switch (event.getEventType()) {
                    case XMLStreamConstants.DTD -> {
                        if (ENTITY_DECLARATION.matcher(((DTD) event).getDocumentTypeDeclaration()).find()) {
                            return failure(ErrorKind.SYNTAX_ERROR, ENTITIES_REFUSED);
                        }
                        continue;  // ignored: JSVG does not use it and nothing in it is loaded
                    }
                    case XMLStreamConstants.ENTITY_REFERENCE -> {
                        return failure(ErrorKind.SYNTAX_ERROR, at(event.getLocation()) + "the entity &"
                                + ((EntityReference) event).getName() + "; is not defined; only &amp; &lt; &gt; "
                                + "&quot; &apos; and character references such as &#169; are supported");
                    }
                    case XMLStreamConstants.START_ELEMENT -> {
                        if (root == null) {
                            root = event.asStartElement();
                        }
                        if (++depth > MAX_DEPTH) {
                            return failure(ErrorKind.BAD_INPUT, at(event.getLocation()) + "elements are nested more than "
                                    + MAX_DEPTH + " levels deep");
                        }
                    }
                    case XMLStreamConstants.END_ELEMENT -> depth--;
                    default -> {
                    }
                }
                events.add(event);
            }
        } catch (XMLStreamException e) {
            return failure(ErrorKind.SYNTAX_ERROR, "the SVG is not well-formed XML: " + message(e));
        } finally {
            close(reader);
        }
        if (root == null) {
            return failure(ErrorKind.NO_SCENE, "the document has no root element");
        }
        String ns = root.getName().getNamespaceURI();
        boolean svgNamespace = ns == null || ns.isEmpty() || SVG_NAMESPACE.equals(ns);
        // JSVG matches element names case-insensitively; so does this check.
        String name = root.getName().getLocalPart();
        if (!svgNamespace) {
            return failure(ErrorKind.NO_SCENE, "the root element <" + name + "> is in the namespace " + ns
                    + ", not the SVG namespace " + SVG_NAMESPACE);
        }
        // JSVG matches element names case-insensitively; so does this check.
        if (!name.equalsIgnoreCase("svg")) {
            return failure(ErrorKind.NO_SCENE, "the root element is <" + name + ">, not <svg>: "
                    + "this is XML but not an SVG document");
        }
        return new SvgXml(events, null, "");
    }

    /** The JDK's StAX parser with DTDs, external entities and entity replacement turned off. */
    private static XMLInputFactory secureFactory() {
        // A fresh factory per document: cheap (no I/O, no service lookup) and never shared across threads.
        XMLInputFactory factory = XMLInputFactory.newDefaultFactory();
        factory.setProperty(XMLInputFactory.SUPPORT_DTD, false);
        factory.setProperty(XMLInputFactory.IS_SUPPORTING_EXTERNAL_ENTITIES, false);
        factory.setProperty(XMLInputFactory.IS_REPLACING_ENTITY_REFERENCES, false);
        factory.setProperty(XMLInputFactory.IS_NAMESPACE_AWARE, true);
        factory.setProperty(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        // The nesting limit is enforced above with a clear message, the same on every JDK (the JDK's
        // own default differs between releases).
        factory.setProperty("jdk.xml.maxElementDepth", MAX_DEPTH + 1);
        factory.setXMLResolver((publicId, systemId, baseUri, namespace) -> {
            throw new XMLStreamException("external resources are not loaded (" + systemId + ")");
        });
        return factory;
    }

    /** "line 3, column 7: The element type ... must be terminated ..." from the parser's exception. */
    private static String message(XMLStreamException e) {
        String text = e.getMessage() == null ? "" : e.getMessage();
        int marker = text.indexOf("Message: ");
        String reason = marker >= 0 ? text.substring(marker + "Message: ".length()) : text;
        return at(e.getLocation()) + reason.strip();
    }

    private static String at(Location location) {
        if (location == null || location.getLineNumber() < 0) {
            return "";
        }
        return "line " + location.getLineNumber() + ", column " + location.getColumnNumber() + ": ";
    }

    private static void close(XMLEventReader reader) {
        if (reader != null) {
            try {
                reader.close();
            } catch (XMLStreamException ignored) {
                // Reading a String: nothing to release.
            }
        }
    }

    /** JSVG's input: a reader that replays {@link #events()}. */
    XMLInput input() {
        if (!ok()) {
            throw new IllegalStateException("not a usable SVG document: " + error);
        }
        return () -> new Replay(events);
    }

    /** Replays a list of events through the {@link XMLEventReader} interface. Not thread-safe. */
    private static final class Replay implements XMLEventReader {
        private final List<XMLEvent> events;
        private int next;

        Replay(List<XMLEvent> events) {
            this.events = events;
        }

        @Override
        public boolean hasNext() {
            return next < events.size();
        }

        @Override
        public XMLEvent nextEvent() throws XMLStreamException {
            if (!hasNext()) {
                throw new NoSuchElementException("no more XML events");
            }
            return events.get(next++);
        }

        @Override
        public Object next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more XML events");
            }
            return events.get(next++);
        }

        @Override
        public XMLEvent peek() {
            return hasNext() ? events.get(next) : null;
        }

        @Override
        public String getElementText() throws XMLStreamException {
            StringBuilder text = new StringBuilder();
            while (hasNext()) {
                XMLEvent e = events.get(next++);
                if (e.isEndElement()) {
                    return text.toString();
                }
                if (e.isCharacters()) {
                    text.append(e.asCharacters().getData());
                } else if (e.isStartElement()) {
                    throw new XMLStreamException("element text contains an element", e.getLocation());
                }
            }
            throw new XMLStreamException("unterminated element");
        }

        @Override
        public XMLEvent nextTag() throws XMLStreamException {
            while (hasNext()) {
                XMLEvent e = events.get(next++);
                if (e.isStartElement() || e.isEndElement()) {
                    return e;
                }
                if (e.isCharacters() && !e.asCharacters().isWhiteSpace()) {
                    throw new XMLStreamException("non-whitespace text where a tag was expected", e.getLocation());
                }
            }
            throw new XMLStreamException("no more tags");
        }

        @Override
        public Object getProperty(String name) {
            throw new IllegalArgumentException("no properties: " + name);
        }

        @Override
        public void close() {
            next = events.size();
        }
    }
}
