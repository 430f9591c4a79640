"""Seed the category lists every programme starts with (editable in the admin)."""

from django.db import migrations

CATEGORIES: dict[str, list[tuple[str, str, str]]] = {
    "household_type": [
        ("family_with_children", "Gezin met kinderen", "Family with children"),
        ("couple", "Stel zonder kinderen", "Couple without children"),
        ("single_parent", "Alleenstaande ouder", "Single parent"),
        ("single_man", "Alleenstaande man", "Single man"),
        ("single_woman", "Alleenstaande vrouw", "Single woman"),
        ("single_other", "Alleenstaande (overig)", "Single person (other)"),
    ],
    "group_type": [
        ("with_children", "Groep met kinderen", "Group with children"),
        ("young_adults", "Jongvolwassenen (20-30)", "Young adults (20-30)"),
        ("mixed_ages", "Gemengde leeftijden", "Mixed ages"),
        ("middle_aged", "Middelbare leeftijd (30-50)", "Middle-aged (30-50)"),
        ("seniors", "Ouderen (50+)", "Seniors (50+)"),
    ],
    "goal": [
        ("language", "Taal oefenen", "Language practice"),
        ("work", "Werk", "Work"),
        ("education", "Opleiding", "Education"),
        ("leisure", "Vrije tijd", "Leisure"),
        ("culture", "Cultuur", "Culture"),
        ("network", "Netwerk", "Network"),
        ("practical", "Praktische zaken", "Practical matters"),
    ],
    "end_reason": [
        ("family_composition", "Ontevreden over gezinssamenstelling", "Dissatisfied with family composition"),
        ("vulnerability_too_high", "Kwetsbaarheid te hoog voor de groep", "Vulnerability too high for the group"),
        ("expectations_time", "Andere verwachtingen over tijdsinvestering", "Different expectations about time"),
        ("expectations_contact", "Andere verwachtingen over soort contact", "Different expectations about the kind of contact"),
        ("online_contact", "Moeite met online contact", "Difficulty with online contact"),
        ("work_or_study", "Nieuwkomer vond werk of studie", "Newcomer found work or study"),
        ("moved", "Verhuisd", "Moved away"),
        ("discrimination", "Vermoeden van discriminatie", "Suspected discrimination"),
        ("completed_early", "Doelen bereikt", "Goals reached"),
        ("other", "Anders", "Other"),
    ],
    "acquaintance": [
        ("friends", "Vrienden", "Friends"),
        ("colleagues", "Collega's", "Colleagues"),
        ("neighbours", "Buren", "Neighbours"),
        ("family", "Familie", "Family"),
        ("faith", "Geloofsgemeenschap", "Faith community"),
        ("mixed", "Gemengd", "Mixed"),
    ],
    "language": [
        ("nl", "Nederlands", "Dutch"),
        ("en", "Engels", "English"),
        ("ar", "Arabisch", "Arabic"),
        ("ti", "Tigrinya", "Tigrinya"),
        ("fa", "Farsi", "Farsi"),
        ("prs", "Dari", "Dari"),
        ("ps", "Pasjtoe", "Pashto"),
        ("ku", "Koerdisch", "Kurdish"),
        ("so", "Somalisch", "Somali"),
        ("tr", "Turks", "Turkish"),
        ("fr", "Frans", "French"),
        ("de", "Duits", "German"),
        ("es", "Spaans", "Spanish"),
        ("uk", "Oekraïens", "Ukrainian"),
        ("ru", "Russisch", "Russian"),
        ("am", "Amhaars", "Amharic"),
    ],
    "ssm_domain": [
        ("finances", "Financiën", "Finances"),
        ("work_education", "Werk en opleiding", "Work and education"),
        ("daytime_activities", "Tijdsbesteding", "Daytime activities"),
        ("housing", "Huisvesting", "Housing"),
        ("domestic_relations", "Huiselijke relaties", "Domestic relations"),
        ("mental_health", "Geestelijke gezondheid", "Mental health"),
        ("physical_health", "Lichamelijke gezondheid", "Physical health"),
        ("addiction", "Middelengebruik", "Substance use"),
        ("basic_adl", "Basale ADL", "Basic activities of daily living"),
        ("instrumental_adl", "Instrumentele ADL", "Instrumental activities of daily living"),
        ("social_network", "Sociaal netwerk", "Social network"),
        ("community_participation", "Maatschappelijke participatie", "Community participation"),
        ("justice", "Justitie", "Justice"),
    ],
    "support_need": [
        ("disability", "Beperking", "Disability"),
        ("trauma", "Traumatische achtergrond", "Trauma background"),
        ("specific_support", "Specifieke ondersteuningsbehoefte", "Specific support need"),
    ],
    "education": [
        ("none", "Geen", "None"),
        ("primary", "Basisonderwijs", "Primary"),
        ("secondary", "Voortgezet onderwijs", "Secondary"),
        ("vocational", "Beroepsonderwijs (mbo)", "Vocational"),
        ("higher", "Hoger onderwijs (hbo/wo)", "Higher education"),
    ],
    "sector": [
        ("installation_repair", "Installatie en reparatie", "Installation and repair"),
        ("education", "Onderwijs", "Education"),
        ("hospitality", "Horeca", "Hospitality"),
        ("health_care", "Zorg", "Health care"),
        ("construction", "Bouw", "Construction"),
        ("retail", "Handel", "Retail"),
        ("transport", "Transport en logistiek", "Transport and logistics"),
        ("ict", "ICT", "ICT"),
        ("agriculture", "Landbouw", "Agriculture"),
        ("administration", "Administratie", "Administration"),
        ("arts", "Kunst en cultuur", "Arts and culture"),
        ("other", "Anders", "Other"),
    ],
    "employment": [
        ("none", "Geen werk", "Not working"),
        ("looking", "Zoekt werk", "Looking for work"),
        ("part_time", "Deeltijd", "Part-time"),
        ("full_time", "Voltijd", "Full-time"),
        ("volunteer", "Vrijwilligerswerk", "Volunteer work"),
        ("study", "Studie", "Studying"),
        ("internship", "Stage", "Internship"),
    ],
    "contact_kind": [
        ("practical", "Praktische doelen", "Practical goals"),
        ("friendship", "Vriendschap", "Friendship"),
        ("both", "Beide", "Both"),
    ],
}


def seed(apps, schema_editor):
    Category = apps.get_model("programmes", "Category")
    for kind, rows in CATEGORIES.items():
        for order, (code, label_nl, label_en) in enumerate(rows):
            Category.objects.update_or_create(
                kind=kind, code=code,
                defaults={"label_nl": label_nl, "label_en": label_en, "order": order},
            )


def unseed(apps, schema_editor):
    apps.get_model("programmes", "Category").objects.filter(kind__in=list(CATEGORIES)).delete()


class Migration(migrations.Migration):
    dependencies = [("programmes", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
