package org.migware.core.internal.check;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The metatype of every configuration, read from the bundles' {@code OSGI-INF/metatype/*.xml}
 * (what bnd writes from each component's {@code @ObjectClassDefinition}): for each PID and
 * factory PID, its keys, their types, cardinality and options.
 */
final class Metatype {

    /**
     * One key.
     *
     * @param id the key
     * @param type String, Long, Integer, Short, Char, Byte, Double, Float, Boolean or Password
     * @param multiple whether it takes a list
     * @param options the allowed values, empty when any value of the type is allowed
     */
    record Attribute(String id, String type, boolean multiple, List<String> options) {
    }

    /**
     * One configuration's keys.
     *
     * @param name the configuration's name in the metatype
     * @param attributes by key, in the metatype's order
     * @param source the jar that describes it
     */
    record Definition(String name, Map<String, Attribute> attributes, String source) {
    }

    private final Map<String, Definition> byPid = new HashMap<>();
    private final Map<String, Definition> byFactoryPid = new HashMap<>();

    /** @return the definition of {@code pid}, else of the factory {@code factoryPid}, else {@code null} */
    Definition lookUp(String pid, String factoryPid) {
        Definition definition = byPid.get(pid);
        return definition != null || factoryPid == null ? definition : byFactoryPid.get(factoryPid);
    }

    /** Reads the metatype of every jar in {@code folders} (those that exist). */
    static Metatype of(List<Path> folders) throws IOException {
        Metatype metatype = new Metatype();
        DocumentBuilder xml = parser();
        for (Path folder : folders) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            List<Path> jars;
            try (Stream<Path> files = Files.list(folder)) {
                jars = files.filter(p -> p.getFileName().toString().endsWith(".jar")).sorted().toList();
            }
            for (Path jar : jars) {
                metatype.read(jar, xml);
            }
        }
        return metatype;
    }

    private static DocumentBuilder parser() {
        try {
            DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
            factory.setNamespaceAware(false);
            factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
            factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
            return factory.newDocumentBuilder();
        } catch (Exception e) {
            throw new IllegalStateException("no XML parser: " + e.getMessage(), e);
        }
    }

    private void read(Path jar, DocumentBuilder xml) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            for (ZipEntry entry : zip.stream().map(ZipEntry.class::cast).toList()) {
                if (!entry.getName().startsWith("OSGI-INF/metatype/") || !entry.getName().endsWith(".xml")) {
                    continue;
                }
                Document document;
                try (InputStream in = zip.getInputStream(entry)) {
                    document = xml.parse(in);
                } catch (org.xml.sax.SAXException e) {
                    throw new IOException(jar.getFileName() + "!" + entry.getName() + ": not readable metatype: " + e.getMessage(), e);
                }
                readDocument(document, jar.getFileName().toString());
            }
        }
    }

    private void readDocument(Document document, String source) {
        Map<String, Definition> ocds = new HashMap<>();
        NodeList ocdNodes = document.getElementsByTagName("OCD");
        for (int i = 0; i < ocdNodes.getLength(); i++) {
            Element ocd = (Element) ocdNodes.item(i);
            Map<String, Attribute> attributes = new LinkedHashMap<>();
            NodeList ads = ocd.getElementsByTagName("AD");
            for (int j = 0; j < ads.getLength(); j++) {
                Element ad = (Element) ads.item(j);
                List<String> options = new ArrayList<>();
                NodeList optionNodes = ad.getElementsByTagName("Option");
                for (int k = 0; k < optionNodes.getLength(); k++) {
                    options.add(((Element) optionNodes.item(k)).getAttribute("value"));
                }
                String cardinality = ad.getAttribute("cardinality");
                boolean multiple = !cardinality.isEmpty() && Integer.parseInt(cardinality) != 0;
                attributes.put(ad.getAttribute("id"), new Attribute(ad.getAttribute("id"), ad.getAttribute("type"), multiple, List.copyOf(options)));
            }
            ocds.put(ocd.getAttribute("id"), new Definition(ocd.getAttribute("name"), attributes, source));
        }
        NodeList designates = document.getElementsByTagName("Designate");
        for (int i = 0; i < designates.getLength(); i++) {
            Element designate = (Element) designates.item(i);
            NodeList objects = designate.getElementsByTagName("Object");
            if (objects.getLength() == 0) {
                continue;
            }
            Definition definition = ocds.get(((Element) objects.item(0)).getAttribute("ocdref"));
            if (definition == null) {
                continue;
            }
            String factoryPid = designate.getAttribute("factoryPid");
            if (!factoryPid.isEmpty()) {
                byFactoryPid.put(factoryPid, definition);
            } else {
                byPid.put(designate.getAttribute("pid"), definition);
            }
        }
    }
}
