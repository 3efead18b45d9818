"""Deterministic clause suggestions: match drafting instructions to clause tags and topics.

"Make the termination clause stricter" -> for the chosen clause whose category or name is about
termination, propose library clauses of that topic tagged `strict`. Same input, same answer.
"""

import re

# Words in instructions that ask for a tone, and the clause tag each one means.
TONES = {
    "strict": {"strict", "stricter", "strictest", "tight", "tighter", "tough", "tougher",
               "stronger", "harsher", "firmer", "protective", "rigorous"},
    "lenient": {"lenient", "looser", "loose", "softer", "relaxed", "flexible", "friendlier",
                "milder", "favourable", "favorable"},
    "standard": {"standard", "normal", "default", "balanced", "typical"},
}
NOISE = {"clause", "clauses", "make", "more", "less", "the", "and", "with", "contract",
         "agreement", "please", "should", "this", "that", "into", "our", "their", "them"}


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z]+", (text or "").lower())


def _stem(word: str) -> str:
    # "termination" / "terminate" / "terminating" all become "termin".
    return word[:6]


def _topic(clause) -> set[str]:
    return {_stem(w) for w in _words(f"{clause.category} {clause.name}") if w not in NOISE}


def wanted_tones(instructions: str) -> list[str]:
    words = set(_words(instructions))
    return [tone for tone, synonyms in TONES.items() if synonyms & words]


def suggest(*, instructions: str, chosen: list, library: list, contract_type: str) -> dict:
    """{clause_id: [suggested clause, ...]} for the chosen clauses the instructions are about."""
    tones = wanted_tones(instructions)
    if not tones:
        return {}
    tone_words = set().union(*TONES.values())
    stems = {_stem(w) for w in _words(instructions)
             if len(w) > 3 and w not in NOISE and w not in tone_words}
    library_topics = set().union(*(_topic(c) for c in library)) if library else set()
    about_something = bool(stems & library_topics)
    targets = [c for c in chosen if _topic(c) & stems] if about_something else list(chosen)
    by_id = {c.clause_id: c for c in library}
    chosen_ids = {c.clause_id for c in chosen}
    result: dict[str, list[dict]] = {}
    for clause in targets:
        candidates = [by_id[i] for i in clause.alternatives or [] if i in by_id]
        candidates += sorted(
            (c for c in library if c.category == clause.category), key=lambda c: c.clause_id
        )
        seen: set[str] = set()
        proposals = []
        for candidate in candidates:
            if candidate.clause_id in seen or candidate.clause_id in chosen_ids:
                continue
            seen.add(candidate.clause_id)
            types = [t.lower() for t in candidate.contract_types or []]
            if types and contract_type.lower() not in types:
                continue
            tone = next((t for t in tones if t in (candidate.tags or [])), None)
            if tone is None or tone in (clause.tags or []):
                continue
            proposals.append({
                "clause_id": candidate.clause_id,
                "version": candidate.version,
                "name": candidate.name,
                "tags": candidate.tags,
                "reason": f"Tagged '{tone}', as the instructions ask",
            })
        if proposals:
            result[clause.clause_id] = proposals
    return result
