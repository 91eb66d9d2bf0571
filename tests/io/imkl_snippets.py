"""Small IMKL 2.0 GML documents written by hand for the KLIC importer's tests."""

from __future__ import annotations

RD = "urn:ogc:def:crs:EPSG::28992"
THEME = "http://definities.geostandaarden.nl/imkl2015/id/waarde/Thema/"
STATUS = "http://inspire.ec.europa.eu/codelist/ConditionOfFacilityValue/"
XY_CLASS = "http://definities.geostandaarden.nl/imkl2015/id/waarde/NauwkeurigheidXYvalue/"
DEPTH_CLASS = "http://definities.geostandaarden.nl/imkl2015/id/waarde/NauwkeurigheidDiepteValue/"

HEADER = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<gml:FeatureCollection gml:id="fc" xmlns:gml="http://www.opengis.net/gml/3.2" '
    'xmlns:imkl="http://www.geostandaarden.nl/imkl/wibon" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xmlns:net="http://inspire.ec.europa.eu/schemas/net/4.0" '
    'xmlns:us-net-common="http://inspire.ec.europa.eu/schemas/us-net-common/4.0" '
    'xmlns:us-net-el="http://inspire.ec.europa.eu/schemas/us-net-el/4.0">\n')
FOOTER = "</gml:FeatureCollection>\n"


def member(body: str) -> str:
    return f"<gml:featureMember>{body}</gml:featureMember>\n"


def network(gml_id: str, theme: str, standard_depth: float | None = None) -> str:
    depth = (f'<imkl:standaardDieptelegging uom="urn:ogc:def:uom:OGC::m">{standard_depth}</imkl:standaardDieptelegging>'
             if standard_depth is not None else "")
    return member(f'<imkl:Utiliteitsnet gml:id="{gml_id}"><imkl:thema xlink:href="{THEME}{theme}"/>{depth}'
                  f'</imkl:Utiliteitsnet>')


def link(gml_id: str, coordinates: list[tuple[float, float]], srs: str = RD) -> str:
    pos = " ".join(f"{x} {y}" for x, y in coordinates)
    return member(f'<us-net-common:UtilityLink gml:id="{gml_id}"><net:centrelineGeometry>'
                  f'<gml:LineString srsName="{srs}" gml:id="{gml_id}_g"><gml:posList>{pos}</gml:posList>'
                  f'</gml:LineString></net:centrelineGeometry></us-net-common:UtilityLink>')


def line(kind: str, gml_id: str, net: str, links: list[str], status: str = "functional", diameter_mm: float | None = None,
         accuracy: str = "tot100cm", extra: str = "", diameter_tag: str = "pipeDiameter", unit: str = "mm") -> str:
    refs = "".join(f'<net:link xlink:href="{ref}"/>' for ref in links)
    diameter = (f'<us-net-common:{diameter_tag} uom="urn:ogc:def:uom:OGC::{unit}">{diameter_mm}'
                f'</us-net-common:{diameter_tag}>' if diameter_mm is not None else "")
    return member(f'<imkl:{kind} gml:id="{gml_id}"><net:inNetwork xlink:href="{net}"/>{refs}'
                  f'<us-net-common:currentStatus xlink:href="{STATUS}{status}"/>'
                  f'<us-net-common:verticalPosition>underground</us-net-common:verticalPosition>{diameter}'
                  f'<imkl:geoNauwkeurigheidXY xlink:href="{XY_CLASS}{accuracy}"/>{extra}</imkl:{kind}>')


def depth(gml_id: str, net: str, xy: tuple[float, float], value: float, kind: str = "DiepteTovMaaiveld",
          accuracy: str = "tot30cm", ground_level: float | None = None, reference: str = "bovenkant") -> str:
    ground = (f'<imkl:maaiveldPeil uom="urn:ogc:def:uom:OGC::m">{ground_level}</imkl:maaiveldPeil>'
              if ground_level is not None else "")
    return member(f'<imkl:{kind} gml:id="{gml_id}"><imkl:diepteNauwkeurigheid xlink:href="{DEPTH_CLASS}{accuracy}"/>'
                  f'<imkl:dieptePeil uom="urn:ogc:def:uom:OGC::m">{value}</imkl:dieptePeil>'
                  f'<imkl:diepteAangrijpingspunt xlink:href="x/{reference}"/>{ground}'
                  f'<imkl:ligging><gml:Point srsName="{RD}" gml:id="{gml_id}_p"><gml:pos>{xy[0]} {xy[1]}</gml:pos>'
                  f'</gml:Point></imkl:ligging><imkl:inNetwork xlink:href="{net}"/></imkl:{kind}>')


def annotation(gml_id: str) -> str:
    return member(f'<imkl:Annotatie gml:id="{gml_id}"><imkl:ligging><gml:Point srsName="{RD}" gml:id="{gml_id}_p">'
                  f'<gml:pos>155000 463000</gml:pos></gml:Point></imkl:ligging></imkl:Annotatie>')


def document(*members: str) -> str:
    return HEADER + "".join(members) + FOOTER
