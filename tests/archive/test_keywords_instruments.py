"""The searchable columns from headers as real instruments write them. Expected values
are read off the headers by hand (an MJD's time of day worked out: 0.74244213 d is
17:49:07.0; TAI was UTC + 32 s in 2000)."""

from datetime import UTC, datetime

import pytest

from archive import keywords

MAPPING = keywords.keyword_mapping()


def columns(*headers):
    return keywords.normalised_values(list(headers), MAPPING)


def at(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_hst_acs_the_filter_that_is_not_clear_and_the_date_with_its_time():
    sci = {"EXTNAME": "SCI", "BUNIT": "ELECTRONS"}
    primary = {"TELESCOP": "HST", "INSTRUME": "ACS", "FILTER1": "CLEAR1L",
               "FILTER2": "F814W", "DATE-OBS": "2004-09-24", "TIME-OBS": "17:49:07",
               "EXPSTART": 53272.74244213, "EXPTIME": 500.0, "TARGNAME": "NGC104"}  # fmt: skip
    got = columns(sci, primary)
    assert (got["band"], got["object"], got["telescope"]) == ("F814W", "NGC104", "HST")
    assert got["date_obs"] == at(2004, 9, 24, 17, 49, 7)
    assert (got["exptime"], got["bunit"]) == (500.0, "ELECTRONS")
    # Both filters in the light path named: the first keyword of the mapping wins.
    assert columns({**primary, "FILTER1": "F555W"})["band"] == "F555W"
    # CLEAR in the second wheel too: no band.
    assert columns({**primary, "FILTER2": "CLEAR2L"})["band"] == ""


def test_hst_expstart_is_an_mjd_when_there_is_no_date_obs():
    got = columns({"EXPSTART": 53272.74244213, "TARGNAME": "NGC104"})
    assert abs(got["date_obs"] - at(2004, 9, 24, 17, 49, 7)).total_seconds() < 0.01


def test_wfpc2_old_date_form_with_its_time():
    got = columns({"FILTNAM1": "F555W", "FILTNAM2": "", "DATE-OBS": "22/03/94",
                   "TIME-OBS": "10:11:12", "TARGNAME": "M87"})  # fmt: skip
    assert (got["band"], got["date_obs"]) == ("F555W", at(1994, 3, 22, 10, 11, 12))


@pytest.mark.parametrize(
    "header, band, date",
    [
        ({"FILTER": "g DECam SDSS c0001 4720.0 1520.0", "DATE-OBS": "2013-09-01T02:03:04.123456",
          "MJD-OBS": 56536.08547597}, "g", at(2013, 9, 1, 2, 3, 4, 123456)),
        ({"FILTER": "VR DECam c0007 6300.0 2600.0", "MJD-OBS": 56536.5}, "VR",
         at(2013, 9, 1, 12)),
        ({"FILTER": "r.MP9601", "DATE-OBS": "2010-01-02", "UTC-OBS": "03:04:05.6"},
         "r.MP9601", at(2010, 1, 2, 3, 4, 5, 600000)),
        ({"FILTER01": "HSC-i", "DATE-OBS": "2015-03-20", "UT": "12:13:14.5"}, "HSC-i",
         at(2015, 3, 20, 12, 13, 14, 500000)),
        ({"FILTER": "r", "DATE-OBS": "2000-03-25", "TAIHMS": "08:13:24.5"}, "r",
         at(2000, 3, 25, 8, 12, 52, 500000)),
        ({"FILTER": "k", "DATE-OBS": "1999-06-19", "UT": "03:04:05"}, "k",
         at(1999, 6, 19, 3, 4, 5)),
        ({"FILTER": "j", "ORDATE": "990619", "DATE": "2003-03-05"}, "j", None),
        ({"DATE_OBS": "2005-01-01T01:02:03.456", "MJD_OBS": 53371.04}, "",
         at(2005, 1, 1, 1, 2, 3, 456000)),
        ({"DATE-OBS": "2013-09-01T02:03:04Z"}, "", at(2013, 9, 1, 2, 3, 4)),
    ],
    ids=["DECam", "DECam VR", "CFHT MegaCam", "Subaru HSC", "SDSS in TAI", "2MASS",
         "DATE is when the file was written", "Spitzer", "a trailing Z"],
)  # fmt: skip
def test_ground_and_space_survey_headers(header, band, date):
    got = columns(header)
    assert (got["band"], got["date_obs"]) == (band, date)


def test_spitzer_identifiers_are_search_words():
    header = {"TELESCOP": "Spitzer", "INSTRUME": "IRAC", "AORKEY": 12345678,
              "DATE_OBS": "2005-01-01T01:02:03.456", "EXPTIME": 10.4, "BUNIT": "MJy/sr"}  # fmt: skip
    got = columns(header)
    assert (got["instrument"], got["exptime"], got["bunit"]) == ("IRAC", 10.4, "MJy/sr")
    assert keywords.identifier_words([header]) == ["12345678"]
    assert keywords.identifier_words([{"ROOTNAME": "J8PU0HA2Q", "EXPNUM": True}]) == ["j8pu0ha2q"]


def test_radio_image_has_its_unit_and_no_exposure():
    got = columns({"TELESCOP": "VLA", "OBJECT": "3C286", "BUNIT": "JY/BEAM",
                   "DATE-OBS": "2012-05-06T00:00:00.0"})  # fmt: skip
    assert (got["bunit"], got["exptime"], got["object_key"]) == ("JY/BEAM", None, "3c286")
