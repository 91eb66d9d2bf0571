"""``vkls compare``: the living lab's side-by-side comparison of layouts of one street."""
