from django.db import migrations, models

# The demo catalogue's items open to online application (programs.catalogue.ONLINE_ITEMS, as of this migration).
ONLINE = ["dibao", "dibao_single", "elderly_allowance", "temp_small", "temp_expenditure", "med_class4",
          "edu_high_school", "edu_college_entry", "job_search_subsidy", "legal_aid", "disability_living",
          "disability_care", "rent_subsidy"]


def mark_online(apps, schema_editor):
    apps.get_model("programs", "AssistanceItem").objects.filter(code__in=ONLINE).update(online_application=True)


class Migration(migrations.Migration):
    dependencies = [("programs", "0002_item_proactive_lean_screening_table")]

    operations = [
        migrations.AddField(
            model_name="assistanceitem", name="online_application",
            field=models.BooleanField(default=False, verbose_name="residents may apply online (掌上办)"),
        ),
        migrations.RunPython(mark_online, migrations.RunPython.noop),
    ]
