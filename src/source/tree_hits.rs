//! The trees of a repository reduced to what attribution needs: for each tree, the target blobs in it and the
//! subtrees that lead to some, memoised by tree id in an arena, and the comparison of a commit's tree with its
//! parents' (`attribution.rs` uses both). Every walk here is iterative with an explicit stack, so a tree nested
//! 100k levels deep costs heap, not call stack, and paths are built in one buffer, copied out only for targets.

use std::collections::{HashMap, HashSet};

use git2::{ObjectType, Oid, Repository};

/// The part of one tree that leads to target blobs: the targets directly in it (by name) and the subtrees that
/// contain some. Nodes live in [`TreeHits`]'s arena and are memoised by tree id, so a subtree shared by many
/// commits is one node and two commits can be compared by skipping subtrees with the same [`NodeId`]; memory
/// grows with the trees that contain targets, not with commits × targets. Children are indices, not owning
/// pointers, so dropping a chain 100k nodes deep is freeing one `Vec`, not a recursion.
#[derive(Debug, Default)]
pub(super) struct Node {
    /// Target blobs in this tree: (entry name, index of the target).
    blobs: Vec<(String, usize)>,
    /// Subtrees that contain targets: (entry name, their node).
    subtrees: Vec<(String, NodeId)>,
}

/// A [`Node`]'s index in [`TreeHits::nodes`]; equal ids are the same tree content (for our targets).
pub(super) type NodeId = usize;

impl Node {
    /// The node of the subtree named `name`, if it contains targets.
    fn subtree(&self, name: &str) -> Option<NodeId> {
        self.subtrees
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, s)| *s)
    }
}

/// A tree being read by [`TreeHits::node`]: its node so far and the subtree entries still to visit.
struct Frame {
    /// The tree's id, memoised when the frame is done.
    id: Oid,
    /// The targets and subtrees found so far.
    node: Node,
    /// Subtree entries not yet visited, in reverse order (the next one is last): (name, tree id).
    todo: Vec<(Vec<u8>, Oid)>,
    /// The name of the subtree whose frame is above this one, while it is read.
    waiting: Option<Vec<u8>>,
}

/// A node still to compare in [`TreeHits::new_in`], with the parents' nodes at the same path.
struct Compare<'n> {
    /// The node.
    node: NodeId,
    /// Each parent's node at the same path (`None`: the parent has no targets there).
    parents: Vec<Option<NodeId>>,
    /// Its entry name in its parent node (`None` for the node compared first).
    name: Option<&'n str>,
    /// How long the parent's path is: the shared path buffer is cut back to it before `name/` is added.
    parent_len: usize,
}

/// Builds and memoises [`Node`]s, in an arena.
pub(super) struct TreeHits<'r> {
    /// Where trees are read.
    repo: &'r Repository,
    /// The blobs to attribute: object id → index.
    targets: &'r HashMap<Oid, usize>,
    /// Every node built.
    nodes: Vec<Node>,
    /// Tree id → its node (`None`: it contains no target).
    memo: HashMap<Oid, Option<NodeId>>,
}

impl<'r> TreeHits<'r> {
    /// No nodes yet.
    pub(super) fn new(repo: &'r Repository, targets: &'r HashMap<Oid, usize>) -> TreeHits<'r> {
        TreeHits {
            repo,
            targets,
            nodes: Vec::new(),
            memo: HashMap::new(),
        }
    }

    /// Reads one tree: the targets directly in it, and its subtrees left to visit.
    fn open(&self, id: Oid) -> Frame {
        let mut frame = Frame {
            id,
            node: Node::default(),
            todo: Vec::new(),
            waiting: None,
        };
        // A missing tree (partial or shallow clone) contains nothing we can attribute.
        if let Ok(tree) = self.repo.find_tree(id) {
            for entry in tree.iter() {
                match entry.kind() {
                    Some(ObjectType::Blob) => {
                        if let Some(&i) = self.targets.get(&entry.id()) {
                            let name =
                                crate::model::path::from_bytes(entry.name_bytes()).into_owned();
                            frame.node.blobs.push((name, i));
                        }
                    }
                    Some(ObjectType::Tree) => {
                        frame.todo.push((entry.name_bytes().to_vec(), entry.id()));
                    }
                    _ => {}
                }
            }
        }
        frame.todo.reverse();
        frame
    }

    /// The node of the tree `root` (`None` when no target is under it), building the nodes of its subtrees
    /// first. Iterative, with one [`Frame`] per tree on the path being read: depth costs heap, not call stack.
    /// A tree that contains itself (a corrupt object database; hashes are not re-checked) contributes nothing
    /// where it repeats.
    pub(super) fn node(&mut self, root: Oid) -> Option<NodeId> {
        if let Some(n) = self.memo.get(&root) {
            return *n;
        }
        let mut reading: HashSet<Oid> = HashSet::from([root]);
        let mut stack = vec![self.open(root)];
        loop {
            let top = stack.last_mut().expect("the stack is never empty here");
            if let Some((name, child)) = top.todo.pop() {
                match self.memo.get(&child) {
                    Some(Some(n)) => {
                        let name = crate::model::path::from_bytes(&name).into_owned();
                        top.node.subtrees.push((name, *n));
                    }
                    Some(None) => {}
                    None if reading.contains(&child) => {}
                    None => {
                        top.waiting = Some(name);
                        reading.insert(child);
                        let frame = self.open(child);
                        stack.push(frame);
                    }
                }
                continue;
            }
            let done = stack.pop().expect("the stack is never empty here");
            reading.remove(&done.id);
            let n = (!done.node.blobs.is_empty() || !done.node.subtrees.is_empty()).then(|| {
                self.nodes.push(done.node);
                self.nodes.len() - 1
            });
            self.memo.insert(done.id, n);
            let Some(parent) = stack.last_mut() else {
                return n;
            };
            if let (Some(name), Some(n)) = (parent.waiting.take(), n) {
                let name = crate::model::path::from_bytes(&name).into_owned();
                parent.node.subtrees.push((name, n));
            }
        }
    }

    /// The node of a commit's tree.
    pub(super) fn commit_node(&mut self, commit: Oid) -> Option<NodeId> {
        let tree = self.repo.find_commit(commit).ok()?.tree_id();
        self.node(tree)
    }

    /// The indices of every target under `root`. Each node is visited once, however many paths lead to it.
    pub(super) fn targets_under(&self, root: NodeId) -> HashSet<usize> {
        let mut out = HashSet::new();
        let mut visited = HashSet::from([root]);
        let mut stack = vec![root];
        while let Some(n) = stack.pop() {
            let node = &self.nodes[n];
            out.extend(node.blobs.iter().map(|(_, i)| *i));
            for (_, sub) in &node.subtrees {
                if visited.insert(*sub) {
                    stack.push(*sub);
                }
            }
        }
        out
    }

    /// The (target, path) pairs under `here` that no parent node has at the same path, in depth-first order
    /// (a node's blobs, then its subtrees in entry order). Iterative with an explicit stack; the current
    /// directory lives in one path buffer, cut back to the parent's length at each step, and a path is copied
    /// out only for a target reported.
    pub(super) fn new_in(
        &self,
        here: NodeId,
        parents: &[Option<NodeId>],
        out: &mut Vec<(usize, String)>,
    ) {
        let mut stack = vec![Compare {
            node: here,
            parents: parents.to_vec(),
            name: None,
            parent_len: 0,
        }];
        let mut path = String::new();
        while let Some(Compare {
            node: n,
            parents,
            name,
            parent_len,
        }) = stack.pop()
        {
            path.truncate(parent_len);
            if let Some(name) = name {
                path.push_str(name);
                path.push('/');
            }
            let node = &self.nodes[n];
            for (name, i) in &node.blobs {
                let before = parents.iter().flatten().any(|p| {
                    self.nodes[*p]
                        .blobs
                        .iter()
                        .any(|(m, j)| m == name && j == i)
                });
                if !before {
                    out.push((*i, format!("{path}{name}")));
                }
            }
            let first_child = stack.len();
            for (name, sub) in &node.subtrees {
                let subs: Vec<Option<NodeId>> = parents
                    .iter()
                    .map(|p| p.and_then(|p| self.nodes[p].subtree(name)))
                    .collect();
                if subs.iter().flatten().any(|p| p == sub) {
                    continue;
                }
                stack.push(Compare {
                    node: *sub,
                    parents: subs,
                    name: Some(name),
                    parent_len: path.len(),
                });
            }
            // Popped first to last, as the entries are ordered.
            stack[first_child..].reverse();
        }
    }
}
