"""Tasks: FITB, compatibility pairs, triplets and holdouts are well formed and deterministic."""
from collections import Counter

from stylist_app.data.tasks import compatibility_pairs, fitb_questions, item_popularity, top_bottom_triplets, user_holdouts


def test_fitb_questions(small_wardrobe):
    w = small_wardrobe
    qs = fitb_questions(w, "test", seed=3)
    assert qs and qs == fitb_questions(w, "test", seed=3)
    assert qs != fitb_questions(w, "test", seed=4)
    for q in qs:
        assert q.items[q.position] == q.candidates[0] and len(q.candidates) == 4 == len(set(q.candidates))
        slot = w.items[q.candidates[0]].slot
        assert all(w.items[c].slot == slot for c in q.candidates)
        assert not set(q.candidates[1:]) & set(q.items)
        assert len(q.context()) == len(q.items) - 1


def test_fitb_hard_shares_fine_type(small_wardrobe):
    w = small_wardrobe
    qs = fitb_questions(w, "test", hard=True)
    same = [all(w.items[c].category == w.items[q.candidates[0]].category for c in q.candidates) for q in qs]
    assert sum(same) > 0.8 * len(qs)  # a few fall back to the slot when the type is rare


def test_compatibility_pairs_keep_slots(small_wardrobe):
    w = small_wardrobe
    for hard in (False, True):
        pairs = compatibility_pairs(w, "valid", hard=hard)
        assert len(pairs) == len(w.splits["valid"])
        for p in pairs:
            assert [w.items[i].slot for i in p.positive] == [w.items[i].slot for i in p.negative]


def test_hard_negatives_follow_popularity(small_wardrobe):
    w = small_wardrobe
    pop = item_popularity(w, "train")
    pairs = compatibility_pairs(w, "train", hard=True)
    neg = Counter(i for p in pairs for i in p.negative)
    assert neg and all(pop[i] > 0 for i in neg)  # items in no train outfit are never drawn
    # popular items are drawn more often than unpopular ones
    top = sorted(pop, key=pop.get)[-20:]
    bottom = [i for i in pop if pop[i] == 1][:20]
    assert sum(neg[i] for i in top) > sum(neg[i] for i in bottom)


def test_triplets(small_wardrobe):
    w = small_wardrobe
    trips = top_bottom_triplets(w, "train", seed=1)
    assert trips
    for top, pos, neg in trips:
        assert w.items[top].slot == "top" and w.items[pos].slot == w.items[neg].slot == "bottom" and pos != neg


def test_user_holdouts(small_wardrobe):
    w = small_wardrobe
    hs = user_holdouts(w)
    assert len(hs) == len(w.users)
    for h in hs:
        user = w.users[h.user_id]
        assert h.train_items + h.test_items == user.purchases and h.test_items
        assert h.train_outfits + h.test_outfits == user.liked_outfits and h.test_outfits
