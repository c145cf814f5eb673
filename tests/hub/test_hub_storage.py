"""Tests for gainrl.hub.storage: commits, revisions, atomicity, locking and input validation, without HTTP.

Run: python -m pytest tests/hub/test_hub_storage.py -v
"""

import multiprocessing
import threading

import pytest

from gainrl.hub import storage as storage_module
from gainrl.hub.storage import (
    AddFile,
    BadRequest,
    Conflict,
    DeletePath,
    EntryNotFound,
    HubStorage,
    PreconditionFailed,
    RepoId,
    RepoNotFound,
    RevisionNotFound,
    git_blob_sha1,
    validate_file_path,
    validate_ref_name,
)

REPO = RepoId("model", "tester", "repo")


@pytest.fixture
def store(tmp_path):
    storage = HubStorage(tmp_path / "root")
    storage.create_repo(REPO)
    return storage


def add(store: HubStorage, path: str, data: bytes, lfs: bool = False) -> AddFile:
    return AddFile(path, store.put_blob(data), len(data), lfs)


def test_new_repo_has_main_with_gitattributes(store):
    commit_id, tree = store.tree(REPO, "main")
    assert list(tree) == [".gitattributes"]
    assert store.resolve_revision(REPO, "refs/heads/main") == commit_id


def test_commit_adds_deletes_and_keeps_history(store):
    first = store.commit(REPO, "main", [add(store, "a.txt", b"a"), add(store, "dir/b.txt", b"b")], "add")
    second = store.commit(REPO, "main", [DeletePath("dir", folder=True)], "remove dir")
    assert sorted(store.tree(REPO, first)[1]) == [".gitattributes", "a.txt", "dir/b.txt"]
    assert sorted(store.tree(REPO, "main")[1]) == [".gitattributes", "a.txt"]
    assert [c["id"] for c in store.history(REPO, "main")][:2] == [second, first]


def test_regular_file_oid_is_the_git_blob_id(store):
    store.commit(REPO, "main", [add(store, "a.txt", b"hello")], "add")
    assert store.tree(REPO, "main")[1]["a.txt"]["oid"] == "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"
    assert git_blob_sha1(b"hello") == "b6fc4c620b67d95f953a5c1c1230aaab5db5a1b0"  # `git hash-object` of "hello"


def test_stale_parent_commit_is_refused(store):
    base = store.resolve_revision(REPO, "main")
    store.commit(REPO, "main", [add(store, "a", b"1")], "one", parent_commit=base)
    with pytest.raises(PreconditionFailed):
        store.commit(REPO, "main", [add(store, "b", b"2")], "two", parent_commit=base)
    assert "b" not in store.tree(REPO, "main")[1]


def test_lfs_file_must_have_been_uploaded(store):
    with pytest.raises(BadRequest, match="never uploaded"):
        store.commit(REPO, "main", [AddFile("w.bin", "0" * 64, 10, lfs=True)], "missing blob")


def test_deleting_a_missing_file_is_entry_not_found(store):
    with pytest.raises(EntryNotFound):
        store.commit(REPO, "main", [DeletePath("nope.txt")], "delete")


def test_unknown_repo_revision_and_duplicate_refs(store):
    with pytest.raises(RepoNotFound):
        store.tree(RepoId("model", "tester", "missing"), "main")
    with pytest.raises(RevisionNotFound):
        store.tree(REPO, "no-such-branch")
    store.create_branch(REPO, "dev")
    store.create_tag(REPO, "v1", "main")
    with pytest.raises(Conflict):
        store.create_branch(REPO, "dev")
    with pytest.raises(Conflict):
        store.create_tag(REPO, "v1", "main")
    with pytest.raises(Conflict):
        store.create_repo(REPO)


def test_crash_between_commit_file_and_head_update_keeps_previous_head(store, monkeypatch):
    head = store.resolve_revision(REPO, "main")
    real_write_json = store._write_json

    def crash_on_head_update(target, value):
        if target.name == "repo.json":
            raise OSError("simulated crash")
        real_write_json(target, value)

    monkeypatch.setattr(store, "_write_json", crash_on_head_update)
    with pytest.raises(OSError):
        store.commit(REPO, "main", [add(store, "a", b"1")], "lost")
    monkeypatch.undo()
    reopened = HubStorage(store.root)
    assert reopened.resolve_revision(REPO, "main") == head
    assert "a" not in reopened.tree(REPO, "main")[1]


def test_corrupt_upload_is_refused_and_leaves_nothing(store):
    with pytest.raises(BadRequest):
        store.put_blob_stream([b"abc"], "0" * 64, 3)
    assert not store.has_blob("0" * 64)
    assert not any((store.root / "tmp").iterdir())


def test_threads_commit_concurrently_without_losing_any(store):
    def commit_one(index):
        store.commit(REPO, "main", [add(store, f"f{index}.txt", str(index).encode())], f"commit {index}")

    threads = [threading.Thread(target=commit_one, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tree = store.tree(REPO, "main")[1]
    assert {f"f{i}.txt" for i in range(8)} <= set(tree)
    assert len(store.history(REPO, "main")) == 9


def _commit_from_process(root, index):
    storage = HubStorage(root)
    data = str(index).encode()
    storage.commit(REPO, "main", [AddFile(f"p{index}", storage.put_blob(data), len(data), False)], f"p{index}")


def test_processes_commit_concurrently_without_losing_any(store):
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_commit_from_process, args=(str(store.root), i)) for i in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join()
    assert all(process.exitcode == 0 for process in processes)
    assert {f"p{i}" for i in range(4)} <= set(store.tree(REPO, "main")[1])


@pytest.mark.parametrize("path", ["../x", "a/../../x", "/etc/passwd", "a//b", "./a", ".git/config", "a\\b", "",
                                  "a\x00b"])
def test_unsafe_file_paths_are_rejected(path):
    with pytest.raises(BadRequest):
        validate_file_path(path)


@pytest.mark.parametrize("namespace,name", [("..", "x"), ("a", ".."), ("a/b", "c"), ("a", "b/c"), ("api", "x"),
                                            ("a", ".hidden"), ("a", "x" * 200)])
def test_unsafe_repo_ids_are_rejected(namespace, name):
    with pytest.raises(BadRequest):
        RepoId("model", namespace, name)


@pytest.mark.parametrize("ref", ["../main", "a..b", "/x", "x/", "refs/heads/x", "a b", "x.lock", "a" * 40])
def test_unsafe_ref_names_are_rejected(ref):
    with pytest.raises(BadRequest):
        validate_ref_name(ref)


def test_deleted_repo_is_gone_and_can_be_recreated(store):
    store.delete_repo(REPO)
    with pytest.raises(RepoNotFound):
        store.repo_state(REPO)
    store.create_repo(REPO)
    assert list(store.tree(REPO, "main")[1]) == [".gitattributes"]


def test_lfs_pointer_format():
    pointer = storage_module.lfs_pointer("a" * 64, 12).decode()
    assert pointer == f"version https://git-lfs.github.com/spec/v1\noid sha256:{'a' * 64}\nsize 12\n"


@pytest.mark.parametrize("ref", [".a", "a.", "x/.y", "-x", "HEAD", "a/b.lock/c", "..", "a@{0}", "@", "a\x7f",
                                 "a\tb", "a~1", "a^2", "a:b", "a?", "a*", "a[b", "a\\b", "x//y", "é"])
def test_ref_names_git_refuses_are_rejected(ref):
    with pytest.raises(BadRequest):
        validate_ref_name(ref)


@pytest.mark.parametrize("ref", ["main", "v1.0", "feature/x-y_z", "step-100", "a.b/c"])
def test_ordinary_ref_names_are_accepted(ref):
    assert validate_ref_name(ref) == ref


def test_refs_that_would_be_a_folder_of_each_other_are_rejected(store):
    store.create_branch(REPO, "a")
    with pytest.raises(BadRequest):
        store.create_branch(REPO, "a/b")
    store.create_tag(REPO, "x/y", "main")
    with pytest.raises(BadRequest):
        store.create_tag(REPO, "x", "main")
    store.create_tag(REPO, "a/b", "main")  # a tag beside a branch of that name is fine in git


@pytest.mark.parametrize("first,second", [("a", "a/b.txt"), ("a/b.txt", "a"), ("x/y/z", "x/y")])
def test_a_file_cannot_also_be_a_folder(store, first, second):
    with pytest.raises(BadRequest):
        store.commit(REPO, "main", [add(store, first, b"1"), add(store, second, b"2")], "both at once")
    store.commit(REPO, "main", [add(store, first, b"1")], "first")
    with pytest.raises(BadRequest):
        store.commit(REPO, "main", [add(store, second, b"2")], "against the tree")
    store.commit(REPO, "main", [DeletePath(first), add(store, second, b"2")], "replaced in one commit")
    assert second in store.tree(REPO, "main")[1]


def test_streamed_blob_stops_reading_past_its_size(store):
    read = []

    def chunks():
        for index in range(100):
            read.append(index)
            yield b"abc"

    with pytest.raises(BadRequest):
        store.put_blob_stream(chunks(), "0" * 64, 4)
    assert len(read) == 2


def test_clean_staging_removes_leftovers(store):
    (store.root / "tmp" / "half-written").write_bytes(b"x")
    (store.root / "trash" / "deleted-repo").mkdir()
    assert store.clean_staging() == 2
    assert not any((store.root / "tmp").iterdir()) and not any((store.root / "trash").iterdir())


def test_last_commits_of_files_and_folders_follow_changes_and_deletions(store):
    first = store.commit(REPO, "main", [add(store, "a", b"1"), add(store, "d/x", b"2"), add(store, "d/e/y", b"3")],
                         "first")
    second = store.commit(REPO, "main", [add(store, "d/e/y", b"4")], "second")
    third = store.commit(REPO, "main", [DeletePath("d/x")], "third")
    last = {path: info["id"] for path, info in store.last_commits(REPO, third).items()}
    assert last == {".gitattributes": last[".gitattributes"], "a": first, "d": third, "d/e": second,
                    "d/e/y": second}
    assert store.last_commits(REPO, third)["d"] == {"id": third, "title": "third",
                                                    "date": store.read_commit(REPO, third)["date"]}
    assert {p: i["id"] for p, i in store.last_commits(REPO, first).items()}["d/x"] == first


def test_last_commits_are_cached_and_continue_from_a_cached_ancestor(store, monkeypatch):
    head = store.commit(REPO, "main", [add(store, "a", b"1")], "one")
    expected = store.last_commits(REPO, head)
    cache = store.root / "repos" / "models" / "tester" / "repo" / "lastcommits"
    assert (cache / f"{head}.json").is_file()
    newer = store.commit(REPO, "main", [add(store, "b", b"2")], "two")
    assert (cache / f"{newer}.json").is_file()  # a cached parent: the commit kept the cache one step ahead
    (cache / f"{newer}.json").unlink()
    read = []
    real_read = store.read_commit
    monkeypatch.setattr(store, "read_commit", lambda repo, cid: read.append(cid) or real_read(repo, cid))
    assert store.last_commits(REPO, head) == expected and read == []
    assert store.last_commits(REPO, newer)["b"]["id"] == newer
    assert set(read) == {head, newer}  # one step from the cached parent, not the whole history


def test_short_commit_ids_resolve_and_ambiguous_ones_are_refused(store):
    head = store.commit(REPO, "main", [add(store, "a", b"1")], "one")
    assert store.resolve_revision(REPO, head[:7]) == head
    with pytest.raises(RevisionNotFound):
        store.resolve_revision(REPO, head[:6])  # shorter than 7 digits is not a commit id
    commits = store.root / "repos" / "models" / "tester" / "repo" / "commits"
    (commits / f"{head[:7]}{'f' * 33}.json").write_bytes((commits / f"{head}.json").read_bytes())
    with pytest.raises(RevisionNotFound, match="ambiguous"):
        store.resolve_revision(REPO, head[:7])
    assert store.resolve_revision(REPO, head[:8] if head[7] != "f" else head) == head


def test_squash_move_duplicate_and_settings(store):
    store.commit(REPO, "main", [add(store, "a", b"1")], "one")
    tree = store.tree(REPO, "main")[1]
    squashed = store.squash(REPO, "main", "squashed")
    assert [c["id"] for c in store.history(REPO, "main")] == [squashed] and store.tree(REPO, "main")[1] == tree
    store.update_settings(REPO, private=True, gated="manual")
    moved = RepoId("model", "other", "repo")
    store.move_repo(REPO, moved)
    with pytest.raises(RepoNotFound):
        store.repo_state(REPO)
    assert store.repo_state(moved)["gated"] == "manual" and store.resolve_revision(moved, "main") == squashed
    copy = RepoId("model", "other", "copy")
    store.duplicate_repo(moved, copy)
    assert store.tree(copy, "main")[1] == tree and store.repo_state(copy)["private"] is True
    with pytest.raises(Conflict):
        store.duplicate_repo(moved, copy)
