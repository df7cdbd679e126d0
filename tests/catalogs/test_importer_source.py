"""Reading a catalog file: its lines as written (numbered, without their line ends), its
encoding, the head a format is told from, and the format told from a name or a head.
Expected values are the files' own text, written out by hand."""

import pytest

from catalogs.importers import (
    CatalogImport,
    CatalogImportError,
    TextSource,
    import_catalog,
    open_catalog,
    sniff_format,
)


def test_lines_are_numbered_and_lose_only_their_line_ends():
    source = TextSource(b"a\r\nb\n c \t\nX\n\ny", max_bytes=100, max_line=100)
    assert list(source.lines()) == [(1, "a"), (2, "b"), (3, " c \t"), (4, "X"), (5, ""), (6, "y")]


def test_an_empty_last_cell_of_a_tsv_row_is_kept():
    features = import_catalog(b"ra\tdec\tname\n1\t2\t\n3\t4\tb\n", fmt="tsv").features
    assert [f["properties"]["name"] for f in features] == [None, "b"]


def test_a_nul_character_past_the_first_block_is_refused_by_line():
    text = b"ra,dec\n" + b"1,2\n" * 3000 + b"3,\x004\n"  # the NUL at byte 12 009: line 3 002
    assert text.index(b"\x00") > 8192
    with pytest.raises(CatalogImportError) as error:
        import_catalog(text, fmt="csv")
    assert str(error.value) == "line 3002: a NUL character: this is not a text catalog."
    assert error.value.line == 3002


def test_a_nul_character_in_the_first_block_is_a_binary_file():
    rows = b"ra,dec\n" + b"1,2\n" * 2046  # 8 191 bytes: the first block ends at byte 8 192
    assert len(rows) == 8191
    with pytest.raises(CatalogImportError) as error:
        import_catalog(rows + b"\x003,4\n", fmt="csv")  # byte 8 192 (index 8 191)
    assert str(error.value) == "this is a binary file, not a text catalog."
    with pytest.raises(CatalogImportError) as error:
        import_catalog(rows + b"3\x00,4\n", fmt="csv")  # the next byte: line 2 048
    assert str(error.value) == "line 2048: a NUL character: this is not a text catalog."


def test_the_line_limit_is_the_setting_unless_given(settings):
    settings.MAX_FEATURE_BYTES = 12
    text = b"ra,dec\n110.5,20.250\n"  # line 2: 13 characters with its end
    with pytest.raises(
        CatalogImportError, match="^line 2: a line of 13 characters, the limit is 12"
    ):
        list(TextSource(text, max_bytes=1000).lines())
    given = TextSource(text, max_bytes=1000, max_line=13)
    assert list(given.lines()) == [(1, "ra,dec"), (2, "110.5,20.250")]


def test_close_closes_the_file(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"ra,dec\n1,2\n")
    source = TextSource(path, max_bytes=1000, max_line=1000)
    stream = source.open_binary()
    source.close()
    assert stream.closed


def test_the_head_is_the_first_2000_characters():
    assert TextSource(b"x" * 5000, max_bytes=10_000, max_line=10_000).head() == "x" * 2000


def test_latin_1_and_a_utf_8_bom_are_read_as_written():
    latin = import_catalog(b"ra,dec,name\n1,2,Montr\xe9al\n", fmt="csv").features
    assert latin[0]["properties"]["name"] == "Montr\u00e9al"
    bom = import_catalog(b"\xef\xbb\xbfra,dec\n1,2\n", fmt="csv").features
    assert bom[0]["geometry"]["coordinates"] == [1.0, 2.0]


def test_latin_1_is_told_from_utf_8_by_the_whole_file():
    late = b"ra,dec,name\n" + b"1,2,a\n" * 2000 + b"3,4,Montr\xe9al\n"  # past 1 MiB reads too
    assert import_catalog(late, fmt="csv").features[-1]["properties"]["name"] == "Montr\u00e9al"
    # The file ends inside a UTF-8 sequence: not UTF-8.
    cut = import_catalog(b"ra,dec,name\n1,2,ab\xc3", fmt="csv").features
    assert cut[0]["properties"]["name"] == "ab\u00c3"


@pytest.mark.parametrize(
    ("filename", "head", "expected"),
    [
        # The name's suffix wins (any case), whatever the head would say.
        ("a.reg", "", "ds9"),
        ("A.REG", "", "ds9"),
        ("x.geojson", "", "geojson"),
        ("X.JSON", "", "geojson"),
        ("t.TSV", "", "tsv"),
        ("t.csv", "{", "csv"),
        ("t.txt", "fk5", "csv"),
        # Else the head: an object is GeoJSON (after white space), ds9's header or words.
        (None, ' \n\t{"type": "Point"}', "geojson"),
        ("notes", "{", "geojson"),
        (None, "# Region file format: DS9 version 4.1\nimage\npoint(1,2)\n", "ds9"),
        (None, "fk5\n", "ds9"),
        (None, "icrs\n", "ds9"),
        (None, "galactic\n", "ds9"),
        (None, "circle(1,2,3)\n", "ds9"),
        (None, "global color=red\n", "ds9"),
        (None, "ra,dec\n1,2\n", "csv"),
        (None, "", "csv"),
        # Only the first 2000 characters are looked at.
        (None, "x" * 1997 + "fk5", "ds9"),
        (None, "x" * 1998 + "fk5", "csv"),
    ],
)
def test_the_format_from_the_name_else_the_head(filename, head, expected):
    assert sniff_format(filename, head) == expected


def test_a_given_filename_decides_the_format_of_bytes():
    result = import_catalog(b"image\npoint(1,2)\n", filename="a.reg")
    assert result.format == "ds9"
    assert result.features[0]["geometry"]["coordinates"] == [1.0, 2.0]
    with pytest.raises(CatalogImportError, match="no RA column"):
        import_catalog(b"image\npoint(1,2)\n")  # told from its head: a table


def test_text_with_a_line_end_is_the_file_else_a_path(tmp_path):
    text = import_catalog("ra,dec,name\n10.5,-20.25,Montr\u00e9al\n", fmt="csv").features
    assert text[0]["geometry"]["coordinates"] == [10.5, -20.25]
    assert text[0]["properties"]["name"] == "Montr\u00e9al"
    path = tmp_path / "one.csv"
    path.write_bytes(b"ra,dec\n30.5,40.25\n")
    result = import_catalog(str(path))
    assert result.format == "csv"
    assert result.features[0]["geometry"]["coordinates"] == [30.5, 40.25]


def test_a_path_without_a_filename_is_told_by_its_name(tmp_path):
    path = tmp_path / "a.reg"
    path.write_bytes(b"image\npoint(1,2)\n")  # its head alone would be a table
    result = import_catalog(path)
    assert result.format == "ds9"
    assert result.features[0]["geometry"]["coordinates"] == [1.0, 2.0]


def source_of(size):
    return TextSource(b"x" * size, max_bytes=1000, max_line=1000)


def test_done_is_the_fraction_read_of_every_pass():
    seen = []

    def reader(passes):
        def parse(job):
            for _ in range(passes):
                job.next_pass()
                binary = job.source.open_binary()
                seen.append(job.done)
                binary.read(50)
                seen.append(job.done)
                binary.read()
                seen.append(job.done)
            yield {"n": 1}

        return parse

    assert list(CatalogImport(source_of(100), "csv", reader(2), passes=2).batches(10)) == [
        [{"n": 1}]
    ]
    assert seen == [0.0, 0.25, 0.5, 0.5, 0.75, 1.0]
    seen.clear()
    list(CatalogImport(source_of(100), "ds9", reader(1)).batches(10))  # one pass unless told
    assert seen == [0.0, 0.5, 1.0]


def test_done_stays_at_one_once_every_feature_is_read():
    # The file is closed when the reading ends: its position is no longer the measure.
    text = b"ra,dec\n" + b"1.5,2.5\n" * 3000
    job = open_catalog(text, fmt="csv")
    assert sum(len(batch) for batch in job.batches(10_000)) == 3000
    assert job.source.position == 0
    assert job.done == 1.0


def test_done_stays_below_one_when_the_reading_stops_early():
    text = b"ra,dec\n" + b"1.5,2.5\n" * 3000
    job = open_catalog(text, fmt="csv")
    with pytest.raises(CatalogImportError, match="limit"):
        list(job.batches(2500))
    assert job.done < 1.0


def test_features_come_in_batches_of_2000():
    job = CatalogImport(source_of(1), "csv", lambda job: ({"n": i} for i in range(4001)))
    batches = list(job.batches(10_000))
    assert [len(b) for b in batches] == [2000, 2000, 1]
    assert [f["n"] for b in batches for f in b] == list(range(4001))


def test_no_feature_says_why_by_its_first_three_refusals():
    text = b'fk5\nvector(1,2,3",4)\nruler(1,2,3,4)\ncompass(1,2,3")\npanda(1,2,0,360,4,1,2,2)\n'
    with pytest.raises(CatalogImportError) as error:
        import_catalog(text, fmt="ds9")
    assert str(error.value) == (
        "no feature found in the file: line 2: 'vector' regions are not supported, left out.; "
        "line 3: 'ruler' regions are not supported, left out.; "
        "line 4: 'compass' regions are not supported, left out."
    )
    with pytest.raises(CatalogImportError) as error:
        import_catalog(b"ra,dec\n", fmt="csv")
    assert str(error.value) == "no feature found in the file."


def test_open_catalog_holds_lines_to_the_limit_it_is_given(settings):
    settings.MAX_FEATURE_BYTES = 12
    text = b"ra,dec\n110.5,20.250\n"  # line 2: 13 characters with its end
    job = open_catalog(text, fmt="csv", max_feature_bytes=13)
    assert [f["geometry"]["coordinates"] for b in job.batches(10) for f in b] == [[110.5, 20.25]]


def test_a_tsv_is_split_at_tabs_only():
    with pytest.raises(CatalogImportError, match=r"no RA column found \(columns: ra,dec\)"):
        import_catalog(b"ra,dec\n1,2\n", fmt="tsv")


def test_a_table_is_read_in_two_passes():
    text = b"ra,dec\n" + b"1.5,2.5\n" * 6000  # 48 007 bytes: the first batch comes in pass 2
    job = open_catalog(text, fmt="csv")
    batches = job.batches(10_000)
    next(batches)
    # 2 000 of 6 000 rows into the second pass (and a read-ahead of at most 8 KiB): a
    # third to a half of that pass, so a half plus a sixth to a quarter of the whole.
    assert 0.6 < job.done < 0.8
    assert sum(len(b) for b in batches) == 4000


def test_the_format_read_is_reported():
    assert import_catalog(b'{"type": "Point", "coordinates": [1, 2]}').format == "geojson"
    with pytest.raises(CatalogImportError) as error:
        import_catalog(b"ra,dec\n1,2\n", fmt="xml")
    assert str(error.value) == "unknown format 'xml' (one of: ds9, csv, tsv, geojson)."
