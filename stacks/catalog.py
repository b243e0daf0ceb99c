"""Catalog and query: the Glue database and tables (from ``curation.schema``), the Athena workgroup, named
queries, and the view statements the workflow runs."""

from __future__ import annotations

from aws_cdk import Aws, RemovalPolicy
from aws_cdk import aws_athena as athena
from aws_cdk import aws_glue as glue
from aws_cdk import aws_iam as iam
from constructs import Construct

from curation import schema
from stacks.access import READ_WRITE, grant_key, grant_list, grant_objects
from stacks.config import AssetPaths, EnvironmentConfig
from stacks.sql_files import ViewStatement, load_named_queries, load_views
from stacks.storage import CURATED_PREFIX, LakeStorage

#: The one place schema types (Athena/Hive spelling) become Glue column types.
GLUE_TYPES: dict[str, glue.Type] = {
    "string": glue.Schema.STRING,
    "bigint": glue.Schema.BIG_INT,
    "int": glue.Schema.INTEGER,
    "double": glue.Schema.DOUBLE,
    "boolean": glue.Schema.BOOLEAN,
    "timestamp": glue.Schema.TIMESTAMP,
    "date": glue.Schema.DATE,
    "array<string>": glue.Schema.array(glue.Schema.STRING),
}
assert set(GLUE_TYPES) == set(schema.COLUMN_TYPES), "every schema type needs a Glue type"

ATHENA_ENGINE = "Athena engine version 3"

#: A listener-kept table (``file_format="csv"``): OpenCSVSerde, as Athena documents it for quoted CSV (every
#: column a string), with the header line skipped. Spelled out rather than ``DataFormat.CSV`` so the SerDe is
#: what the athena-check reproduces in Trino.
CSV_FORMAT = glue.DataFormat(
    input_format=glue.InputFormat.TEXT,
    output_format=glue.OutputFormat.HIVE_IGNORE_KEY_TEXT,
    serialization_library=glue.SerializationLibrary.OPEN_CSV,
    classification_string=glue.ClassificationString.CSV,
)
CSV_PARAMETERS = {"skip.header.line.count": "1"}


def glue_columns(columns: tuple[schema.Column, ...]) -> list[glue.Column]:
    return [glue.Column(name=c.name, type=GLUE_TYPES[c.type], comment=c.description) for c in columns]


def database_name(config: EnvironmentConfig) -> str:
    """One database per environment, so dev and prod can share an account."""
    return f"{schema.DATABASE}_{config.name.replace('-', '_')}"


def table_prefix(table: schema.Table) -> str:
    return f"{CURATED_PREFIX}{table.name}/"


def catalog_arns(database: str) -> list[str]:
    """The Data Catalog, the database ``database`` and its tables (a view is a table)."""
    base = f"arn:{Aws.PARTITION}:glue:{Aws.REGION}:{Aws.ACCOUNT_ID}"
    return [f"{base}:catalog", f"{base}:database/{database}", f"{base}:table/{database}/*"]


class CatalogAndQuery(Construct):
    """Glue tables whose partitions the curation job registers (no projection, no crawler needed), the
    workgroup, named queries and view SQL.

    Nothing here is retained when the stack is deleted: the database and workgroup have fixed names, and a
    retained one would make the next stack of the same name fail to create it. The data stays in the
    (retained) buckets; the catalog describes it and is rebuilt by the stack and the next curation run.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: EnvironmentConfig,
        storage: LakeStorage,
        assets: AssetPaths,
    ) -> None:
        super().__init__(scope, construct_id)
        self.database = glue.Database(
            self,
            "Database",
            database_name=database_name(config),
            description="spotify-lake curated tables and analytics views",
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.tables: dict[str, glue.S3Table] = {}
        for table in schema.TABLES:
            prefix = table_prefix(table)
            # No partition projection: Athena would ignore the partitions (and their run-scoped locations)
            # that the curation job registers when it publishes.
            csv = table.edited_by_listener
            parameters = dict(CSV_PARAMETERS) if csv else {"parquet.compression": "SNAPPY"}
            self.tables[table.name] = glue.S3Table(
                self,
                f"Table-{table.name}",
                table_name=table.name,
                database=self.database,
                description=table.description,
                storage=glue.S3TableStorage.from_bucket(storage.curated_bucket),
                s3_prefix=prefix,
                data_format=CSV_FORMAT if csv else glue.DataFormat.PARQUET,
                columns=glue_columns(table.columns),
                partition_keys=glue_columns(table.partition_keys) or None,
                parameters=parameters,
                compressed=not csv,
            )

        self.workgroup = athena.CfnWorkGroup(
            self,
            "Workgroup",
            name=f"spotify-lake-{config.name}",
            description="spotify-lake analytics: engine v3, KMS-encrypted results, per-query scan limit",
            state="ENABLED",
            # Its named queries are the stack's own; without this a stack delete stops at a non-empty workgroup.
            recursive_delete_option=True,
            work_group_configuration=athena.CfnWorkGroup.WorkGroupConfigurationProperty(
                enforce_work_group_configuration=True,
                publish_cloud_watch_metrics_enabled=True,
                bytes_scanned_cutoff_per_query=config.athena_bytes_scanned_cutoff_mb * 1024 * 1024,
                engine_version=athena.CfnWorkGroup.EngineVersionProperty(selected_engine_version=ATHENA_ENGINE),
                result_configuration=athena.CfnWorkGroup.ResultConfigurationProperty(
                    output_location=f"s3://{storage.athena_results_bucket.bucket_name}/results/",
                    encryption_configuration=(
                        athena.CfnWorkGroup.EncryptionConfigurationProperty(
                            encryption_option="SSE_KMS", kms_key=storage.key.key_arn
                        )
                        if storage.key is not None
                        else athena.CfnWorkGroup.EncryptionConfigurationProperty(encryption_option="SSE_S3")
                    ),
                ),
            ),
        )
        self.workgroup_name = self.workgroup.name

        self.named_queries = []
        for query in load_named_queries(assets.queries):
            named = athena.CfnNamedQuery(
                self,
                f"Query-{query.name}",
                name=query.name,
                description=query.description[:1024],
                database=self.database.database_name,
                query_string=query.sql,
                work_group=self.workgroup.ref,
            )
            self.named_queries.append(named)

        #: CREATE OR REPLACE VIEW statements with the environment's time zone, in the order they must run.
        self.views: list[ViewStatement] = load_views(assets.views, config.time_zone)

    @property
    def workgroup_arn(self) -> str:
        return f"arn:{Aws.PARTITION}:athena:{Aws.REGION}:{Aws.ACCOUNT_ID}:workgroup/{self.workgroup.ref}"

    def catalog_arns(self) -> list[str]:
        return catalog_arns(self.database.database_name)

    def grant_refresh_views(self, grantee: iam.IGrantable, storage: LakeStorage) -> None:
        """Run the view statements in the workgroup: Athena, the database's tables (a view is a table) and
        the results bucket. Views read no data when created, so no curated-bucket access."""
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:StopQueryExecution"],
                resources=[self.workgroup_arn],
            )
        )
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:CreateTable", "glue:UpdateTable"],
                resources=self.catalog_arns(),
            )
        )
        grant_objects(grantee, storage.athena_results_bucket, "results/", READ_WRITE)
        grant_list(grantee, storage.athena_results_bucket, "results/")
        grantee.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(
                actions=["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"],
                resources=[storage.athena_results_bucket.bucket_arn],
            )
        )
        grant_key(grantee, storage.key, encrypt=True)
