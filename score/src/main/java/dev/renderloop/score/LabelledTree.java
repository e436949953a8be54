package dev.renderloop.score;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An ordered labelled tree in the post-order arrays Zhang-Shasha works on, and the edit distance itself.
 *
 * <p>Zhang and Shasha, "Simple fast algorithms for the editing distance between trees and related problems", SIAM J.
 * Comput. 18(6), 1989. Unit costs: deleting a node, inserting a node and relabelling a node cost 1 each; a node
 * deleted hands its children to its parent in place. Time O(|T1| |T2| min(depth1, leaves1) min(depth2, leaves2)),
 * memory O(|T1| |T2|) for the tree-distance table plus one forest table of the same bound, reused.
 */
final class LabelledTree {

    /** Node labels, in post-order (children left to right, then the node). */
    final String[] labels;
    /** For each post-order node, the post-order index of its leftmost leaf descendant (itself for a leaf). */
    final int[] leftmost;

    private LabelledTree(String[] labels, int[] leftmost) {
        this.labels = labels;
        this.leftmost = leftmost;
    }

    int size() {
        return labels.length;
    }

    /** A node of a tree being built: label and children. */
    record Node(String label, List<Node> children) {
        Node(String label, Node... children) {
            this(label, List.of(children));
        }
    }

    /** The post-order form of a tree (iterative: deep trees must not overflow the stack). */
    static LabelledTree of(Node root) {
        List<String> labels = new ArrayList<>();
        List<Integer> leftmost = new ArrayList<>();
        // Each frame: node, next child to visit, post-order index of its first leaf (-1 until known).
        record Frame(Node node, int[] next, int[] firstLeaf) {
        }
        Deque<Frame> stack = new ArrayDeque<>();
        stack.push(new Frame(root, new int[1], new int[] {-1}));
        int lastDoneLeftmost = -1;
        while (!stack.isEmpty()) {
            Frame f = stack.peek();
            if (f.next[0] > 0 && f.firstLeaf[0] < 0) {
                f.firstLeaf[0] = lastDoneLeftmost; // leftmost leaf of the first child
            }
            if (f.next[0] < f.node.children().size()) {
                Node child = f.node.children().get(f.next[0]++);
                stack.push(new Frame(child, new int[1], new int[] {-1}));
                continue;
            }
            stack.pop();
            int index = labels.size();
            labels.add(f.node.label());
            int lm = f.node.children().isEmpty() ? index : f.firstLeaf[0];
            leftmost.add(lm);
            lastDoneLeftmost = lm;
        }
        return new LabelledTree(labels.toArray(String[]::new), leftmost.stream().mapToInt(Integer::intValue).toArray());
    }

    /** The key roots: for each leftmost-leaf value, the highest (last in post-order) node having it; ascending. */
    private int[] keyRoots() {
        Map<Integer, Integer> highest = new HashMap<>();
        for (int i = 0; i < leftmost.length; i++) {
            highest.put(leftmost[i], i);
        }
        return highest.values().stream().mapToInt(Integer::intValue).sorted().toArray();
    }

    /** The unit-cost tree edit distance between {@code a} and {@code b}. */
    static int distance(LabelledTree a, LabelledTree b) {
        int n1 = a.size();
        int n2 = b.size();
        // Labels compared as interned ids: one int compare in the inner loop.
        Map<String, Integer> ids = new HashMap<>();
        int[] la = new int[n1];
        int[] lb = new int[n2];
        for (int i = 0; i < n1; i++) {
            la[i] = ids.computeIfAbsent(a.labels[i], k -> ids.size());
        }
        for (int j = 0; j < n2; j++) {
            lb[j] = ids.computeIfAbsent(b.labels[j], k -> ids.size());
        }
        int[] l1 = a.leftmost;
        int[] l2 = b.leftmost;
        int[][] td = new int[n1][n2];
        int[][] fd = new int[n1 + 1][n2 + 1];
        for (int i : a.keyRoots()) {
            for (int j : b.keyRoots()) {
                int li = l1[i];
                int lj = l2[j];
                fd[0][0] = 0;
                for (int x = li; x <= i; x++) {
                    fd[x - li + 1][0] = fd[x - li][0] + 1;
                }
                for (int y = lj; y <= j; y++) {
                    fd[0][y - lj + 1] = fd[0][y - lj] + 1;
                }
                for (int x = li; x <= i; x++) {
                    int xi = x - li + 1;
                    for (int y = lj; y <= j; y++) {
                        int yj = y - lj + 1;
                        int del = fd[xi - 1][yj] + 1;
                        int ins = fd[xi][yj - 1] + 1;
                        int best = Math.min(del, ins);
                        if (l1[x] == li && l2[y] == lj) {
                            // both prefixes are whole trees: match the roots
                            best = Math.min(best, fd[xi - 1][yj - 1] + (la[x] == lb[y] ? 0 : 1));
                            fd[xi][yj] = best;
                            td[x][y] = best;
                        } else {
                            best = Math.min(best, fd[l1[x] - li][l2[y] - lj] + td[x][y]);
                            fd[xi][yj] = best;
                        }
                    }
                }
            }
        }
        return td[n1 - 1][n2 - 1];
    }
}
